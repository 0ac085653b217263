// Unit tests per construct, each under its RFC section.
import { describe, expect, it } from 'vitest';
import {
  canonicalName, formatCSeq, formatDigestParams, formatNameAddr, formatUri, formatVia, hasMagicCookie, parseCSeq,
  parseDigestParams, parseNameAddr, parseUri, parseVia, splitList, unfold, withReceived,
} from '../../src/sip/index.js';

describe('RFC 3261 §7.3.3 compact forms and §7.3.1 case-insensitive names', () => {
  it.each([
    ['i', 'call-id'], ['m', 'contact'], ['e', 'content-encoding'], ['l', 'content-length'], ['f', 'from'],
    ['t', 'to'], ['v', 'via'], ['k', 'supported'], ['s', 'subject'], ['c', 'content-type'], ['o', 'event'],
    ['u', 'allow-events'], ['r', 'refer-to'], ['b', 'referred-by'], ['x', 'session-expires'], ['y', 'identity'],
    ['a', 'accept-contact'], ['j', 'reject-contact'], ['d', 'request-disposition'],
  ])('%s is %s', (short, long) => {
    expect(canonicalName(short)).toBe(long);
    expect(canonicalName(short.toUpperCase())).toBe(long);
  });
  it('long names are case-insensitive', () => {
    expect(canonicalName('CALL-ID')).toBe('call-id');
    expect(canonicalName('Max-FORWARDS')).toBe('max-forwards');
    expect(canonicalName('X-Custom')).toBe('x-custom');
  });
});

describe('RFC 3261 §7.3.1 comma lists and line folding', () => {
  it('splits at top-level commas only', () => {
    expect(splitList('<sip:a@x;p=1,2>, "Doe, J" <sip:b@y>, sip:c@z')).toEqual(['<sip:a@x;p=1,2>', '"Doe, J" <sip:b@y>', 'sip:c@z']);
  });
  it('handles escaped quotes inside quoted strings', () => {
    expect(splitList('"a\\",b" <sip:a@x>, <sip:b@y>')).toEqual(['"a\\",b" <sip:a@x>', '<sip:b@y>']);
  });
  it('drops empty elements', () => {
    expect(splitList(' , a,,b , ')).toEqual(['a', 'b']);
  });
  it('unfolds CRLF + WS into one SP', () => {
    expect(unfold('a,\r\n   b\r\n\tc')).toBe('a, b c');
    expect(unfold('  x  ')).toBe('x');
  });
});

describe('RFC 3261 §19.1 SIP and SIPS URIs, RFC 3966 tel', () => {
  it('parses every component', () => {
    const u = parseUri('sips:alice:secret@atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=project%20x&priority=urgent');
    expect(u).toEqual({
      scheme: 'sips', user: 'alice', password: 'secret', host: 'atlanta.example.com', port: 5061,
      params: new Map<string, string | null>([['transport', 'tls'], ['lr', null], ['maddr', '239.255.255.1']]),
      headers: new Map([['subject', 'project%20x'], ['priority', 'urgent']]),
    });
  });
  it('parses IPv6 references and keeps the brackets', () => {
    const u = parseUri('sip:[2001:db8::10]:5070;transport=udp');
    expect(u?.host).toBe('[2001:db8::10]');
    expect(u?.port).toBe(5070);
  });
  it('parses a host-only URI and an IPv4 host', () => {
    expect(parseUri('sip:example.com')?.user).toBe(undefined);
    expect(parseUri('SIP:bob@192.0.2.4')?.scheme).toBe('sip');
  });
  it('parses tel URIs', () => {
    const u = parseUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(u?.scheme).toBe('tel');
    expect(u?.user).toBe('+1-201-555-0123');
    expect(u?.params.get('phone-context')).toBe('example.com');
  });
  it.each(['sip:', 'sip:@host', 'sip:a@', 'sip:a b@host', 'sip:host:99999', 'sip:[::1', 'sip:host;=x', 'sip:a@host?', 'http://x', 'sip:%zz@host', 'sip:a@ho<st', '', 'tel:'])(
    'rejects %j',
    (s) => expect(parseUri(s)).toBe(undefined),
  );
  it('formatUri writes back what parseUri read', () => {
    for (const s of ['sip:alice@atlanta.example.com', 'sips:a:b@h:1;x=y;lr?h=v', 'sip:[::1]:5060', 'tel:+4930123;phone-context=+49']) {
      expect(formatUri(parseUri(s)!)).toBe(s);
    }
  });
});

describe('RFC 3261 §20.10 / §20.20 / §25.1 name-addr and addr-spec', () => {
  it('parses quoted display names, tags and params', () => {
    const na = parseNameAddr('"Alice \\"A\\"" <sip:alice@atlanta.example.com;transport=tcp>;tag=88sja8x;x=1');
    expect(na?.displayName).toBe('Alice "A"');
    expect(na?.rawUri).toBe('sip:alice@atlanta.example.com;transport=tcp');
    expect(na?.uri?.params.get('transport')).toBe('tcp');
    expect(na?.tag).toBe('88sja8x');
    expect(na?.params.get('x')).toBe('1');
    expect(na?.bracketed).toBe(true);
  });
  it('parses token display names', () => {
    expect(parseNameAddr('Bob  Smith <sip:bob@b.example.com>')?.displayName).toBe('Bob Smith');
  });
  it('addr-spec params belong to the header', () => {
    const na = parseNameAddr('sip:bob@b.example.com;tag=1');
    expect(na?.rawUri).toBe('sip:bob@b.example.com');
    expect(na?.tag).toBe('1');
    expect(na?.bracketed).toBe(false);
  });
  it.each(['', '<>', '"open <sip:a@b>', '<sip:a@b', 'Bell, A <sip:a@b>', '< sip:a@b >', 'sip:a@b?x=y', '<sip:a@b>;;', 'noscheme'])(
    'rejects %j',
    (s) => expect(parseNameAddr(s)).toBe(undefined),
  );
  it('formatNameAddr round-trips through parseNameAddr', () => {
    const na = parseNameAddr('"A \\"q\\"" <sip:a@b.example.com>;tag=x')!;
    const again = parseNameAddr(formatNameAddr(na))!;
    expect(again.displayName).toBe('A "q"');
    expect(again.tag).toBe('x');
  });
});

describe('RFC 3261 §20.42 Via and §18.2.1 received, RFC 3581 rport', () => {
  it('parses protocol, transport, host, port and params', () => {
    const v = parseVia('SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.1;rport=5070;ttl=16');
    expect(v).toMatchObject({ protocol: 'SIP/2.0', transport: 'UDP', host: 'pc33.atlanta.example.com', port: 5066, branch: 'z9hG4bK776asdhds', received: '192.0.2.1', rport: 5070 });
    expect(v?.params.get('ttl')).toBe('16');
    expect(hasMagicCookie(v!)).toBe(true);
  });
  it('distinguishes rport present-empty from absent', () => {
    expect(parseVia('SIP/2.0/UDP h;rport')?.rport).toBe(null);
    expect(parseVia('SIP/2.0/UDP h')?.rport).toBe(undefined);
  });
  it('parses IPv6 sent-by and received', () => {
    const v = parseVia('SIP/2.0/TCP [2001:db8::9]:5060;received=[2001:db8::1];branch=z9hG4bKx');
    expect(v?.host).toBe('[2001:db8::9]');
    expect(v?.received).toBe('[2001:db8::1]');
  });
  it('tolerates LWS around separators (RFC 3261 §25.1)', () => {
    expect(parseVia('SIP / 2.0 / tls host.example.com ; branch = z9hG4bKa')?.transport).toBe('TLS');
  });
  it.each(['', 'SIP/2.0/UDP', 'SIP/2.0 UDP h', 'SIP/2.0/UDP h;;', 'SIP/2.0/UDP h:port', 'SIP/2.0/UDPh', 'SIP/2.0/UDP h;rport=x', 'SIP/2.0/UDP []', 'SIP/2.0/UDP h junk'])(
    'rejects %j',
    (s) => expect(parseVia(s)).toBe(undefined),
  );
  it('withReceived adds received and fills an empty rport (RFC 3581 §4)', () => {
    expect(withReceived('SIP/2.0/UDP h:5060;rport;branch=z9hG4bKa', '198.51.100.7', 40000)).toBe('SIP/2.0/UDP h:5060;rport=40000;branch=z9hG4bKa;received=198.51.100.7');
    expect(withReceived('SIP/2.0/UDP h;branch=z9hG4bKa;received=1.1.1.1', '2001:db8::2', 5060)).toBe('SIP/2.0/UDP h;branch=z9hG4bKa;received=[2001:db8::2]');
    expect(withReceived('garbage', '1.2.3.4', 1)).toBe('garbage');
  });
  it('formatVia writes a parseable value', () => {
    const v = parseVia('SIP/2.0/WSS edge.example.com;branch=z9hG4bKq;rport')!;
    expect(formatVia(v)).toBe('SIP/2.0/WSS edge.example.com;branch=z9hG4bKq;rport');
  });
});

describe('RFC 3261 §20.16 CSeq (§8.1.1.5: < 2**31)', () => {
  it('parses number and method', () => {
    expect(parseCSeq('4711 INVITE')).toEqual({ seq: 4711, method: 'INVITE' });
    expect(parseCSeq(' 0  ACK ')).toEqual({ seq: 0, method: 'ACK' });
    expect(parseCSeq('2147483647 BYE')).toEqual({ seq: 2147483647, method: 'BYE' });
    expect(formatCSeq({ seq: 1, method: 'BYE' })).toBe('1 BYE');
  });
  it.each(['2147483648 INVITE', '-1 INVITE', 'x INVITE', '1', '1 IN VITE', '', '1 INV"ITE'])('rejects %j', (s) => {
    expect(parseCSeq(s)).toBe(undefined);
  });
});

describe('RFC 3261 §20.7 / §20.27 / §20.28 / §20.44 digest params (RFC 2617 §3.2)', () => {
  const auth = 'Digest username="bob", realm="biloxi.example.com", nonce="dcd98b", uri="sip:bob@biloxi.example.com", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae4", algorithm=MD5';
  it('parses credentials', () => {
    const d = parseDigestParams(auth);
    expect(d?.scheme).toBe('Digest');
    expect(d?.params.get('username')).toBe('bob');
    expect(d?.params.get('qop')).toBe('auth');
    expect(d?.params.get('nc')).toBe('00000001');
    expect(d?.params.get('uri')).toBe('sip:bob@biloxi.example.com');
  });
  it('parses challenges with commas inside quoted values and folded LWS', () => {
    const d = parseDigestParams('Digest realm="atlanta.example.com", qop="auth,auth-int",\r\n nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5');
    expect(d?.params.get('qop')).toBe('auth,auth-int');
    expect(d?.params.get('opaque')).toBe('');
    expect(d?.params.get('stale')).toBe('FALSE');
  });
  it('formats with the quoting each kind of header wants, and round-trips', () => {
    const d = parseDigestParams(auth)!;
    const out = formatDigestParams(d, 'credentials');
    expect(out).toBe(auth);
    const ch = formatDigestParams({ scheme: 'Digest', params: new Map([['realm', 'r'], ['qop', 'auth'], ['nonce', 'n"x'], ['algorithm', 'MD5']]) }, 'challenge');
    expect(ch).toBe('Digest realm="r", qop="auth", nonce="n\\"x", algorithm=MD5');
    expect(parseDigestParams(ch)?.params.get('nonce')).toBe('n"x');
  });
  it.each(['', 'Digest realm', 'Digest realm="x', 'Digest a=1 b=2', 'Digest a=1, a=2', 'Digest =x', '"Digest" a=1'])('rejects %j', (s) => {
    expect(parseDigestParams(s)).toBe(undefined);
  });
});
