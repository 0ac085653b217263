// The lazy message view: header access, edits, serialization, responses.
import { describe, expect, it } from 'vitest';
import { buildResponse, parseMessage, withReceived, type SipMessage } from '../../src/sip/index.js';
import { ACK, BYE, INVITE, OK200, REGISTER, RINGING, SDP } from '../../bench/mix.js';

function parse(s: string | Buffer, stream = false): SipMessage {
  const r = parseMessage(typeof s === 'string' ? Buffer.from(s) : s, { stream });
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.message;
}

describe('RFC 3261 §7.1 / §7.2 start lines', () => {
  it('reads request and status lines', () => {
    const req = parse(INVITE);
    expect([req.kind, req.method, req.uri, req.status, req.reason, req.version]).toEqual(['request', 'INVITE', 'sip:bob@biloxi.example.com', 0, '', 'SIP/2.0']);
    const res = parse(RINGING);
    expect([res.kind, res.method, res.uri, res.status, res.reason]).toEqual(['response', '', '', 180, 'Ringing']);
    expect(req.requestUri()?.host).toBe('biloxi.example.com');
    expect(res.requestUri()).toBe(undefined);
  });
});

describe('RFC 3261 §7.3 header access', () => {
  const m = parse(INVITE);
  it('header() returns the first value, case-insensitively, compact forms equivalent', () => {
    expect(m.header('call-id')).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.header('I')).toBe(m.header('Call-ID'));
    expect(m.header('v')).toBe('SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport');
    expect(m.header('route')).toBe('<sip:p1.example.com;lr>');
    expect(m.header('x-nothing')).toBe(undefined);
    expect(m.has('ROUTE')).toBe(true);
    expect(m.has('x-nothing')).toBe(false);
  });
  it('headerValues() splits lists across lines; headerLines() does not split', () => {
    expect(m.headerValues('via')).toHaveLength(2);
    expect(m.headerValues('route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(m.headerLines('route')).toEqual(['<sip:p1.example.com;lr>, <sip:p2.example.com;lr>']);
    expect(m.headerValues('allow')).toEqual(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS']);
  });
  it('never splits auth headers, From/To or Date', () => {
    const r = parse(REGISTER);
    expect(r.headerValues('authorization')).toHaveLength(1);
    expect(r.header('authorization')).toContain('algorithm=MD5');
    const d = parse(INVITE.replace('User-Agent:', 'Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nUser-Agent:'));
    expect(d.headerValues('date')).toEqual(['Sat, 13 Nov 2010 23:29:00 GMT']);
  });
  it('typed accessors', () => {
    expect(m.vias().map((v) => v.branch)).toEqual(['z9hG4bK776asdhds', 'z9hG4bK74bf9']);
    expect(m.topVia()?.rport).toBe(null);
    expect(m.cseq()).toEqual({ seq: 314159, method: 'INVITE' });
    expect(m.callId()).toBe('a84b4c76e66710@pc33.atlanta.example.com');
    expect(m.from()?.tag).toBe('1928301774');
    expect(m.from()?.displayName).toBe('Alice A.');
    expect(m.to()?.tag).toBe(undefined);
    expect(m.maxForwards()).toBe(70);
    expect(m.contacts()?.[0]?.uri?.user).toBe('alice');
    expect(m.nameAddrs('record-route')?.[0]?.uri?.params.has('lr')).toBe(true);
    expect(m.body.toString()).toBe(SDP);
    expect(m.headerEntries()[0]).toEqual(['Via', 'SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport']);
  });
  it('Max-Forwards defaults to 70 when absent (RFC 3261 §8.1.1.6 robustness)', () => {
    expect(parse(INVITE.replace('Max-Forwards: 70\r\n', '')).maxForwards()).toBe(70);
  });
  it('decodes UTF-8 in values', () => {
    const u = parse(INVITE.replace('"Alice A."', '"Zoë Ørsted"'));
    expect(u.from()?.displayName).toBe('Zoë Ørsted');
  });
  it('skips CRLFs before the start line (RFC 3261 §7.5)', () => {
    const p = parse('\r\n\r\n' + BYE);
    expect(p.method).toBe('BYE');
    expect(p.serialize().toString()).toBe(BYE);
  });
});

describe('RFC 3261 §16.6 relaying: serialization preserves untouched bytes', () => {
  it('an unedited message serializes to the input buffer itself', () => {
    const b = Buffer.from(INVITE);
    const m = parse(b);
    expect(m.serialize()).toBe(b);
  });
  it('prependHeader puts a Via before the first Via; Record-Route before the first Record-Route', () => {
    const m = parse(INVITE);
    m.prependHeader('Via', 'SIP/2.0/UDP sbc.example.net;branch=z9hG4bKsbc1');
    m.prependHeader('Record-Route', '<sip:sbc.example.net;lr>');
    const out = m.serialize().toString();
    expect(out).toBe(
      INVITE.replace('Via: SIP/2.0/UDP pc33', 'Via: SIP/2.0/UDP sbc.example.net;branch=z9hG4bKsbc1\r\nVia: SIP/2.0/UDP pc33')
        .replace('Record-Route: <sip:rr', 'Record-Route: <sip:sbc.example.net;lr>\r\nRecord-Route: <sip:rr'),
    );
    expect(m.vias()[0]?.host).toBe('sbc.example.net');
    expect(parse(out).vias()).toHaveLength(3);
  });
  it('setHeader replaces every line of that header with one, in place', () => {
    const m = parse(INVITE);
    m.setHeader('Max-Forwards', '69');
    m.setHeader('route', '<sip:only.example.com;lr>');
    const out = m.serialize().toString();
    expect(out).toBe(INVITE.replace('Max-Forwards: 70', 'Max-Forwards: 69').replace('Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>', 'route: <sip:only.example.com;lr>'));
    expect(m.maxForwards()).toBe(69);
  });
  it('removeHeader and appendHeader', () => {
    const m = parse(INVITE);
    m.removeHeader('user-agent');
    m.removeHeader('ROUTE');
    m.appendHeader('X-Trace', 'abc');
    const out = m.serialize().toString();
    expect(out).not.toContain('User-Agent');
    expect(out).not.toContain('Route: <sip:p1');
    expect(out).toContain(`X-Trace: abc\r\n\r\n${SDP}`);
    expect(m.has('route')).toBe(false);
    expect(m.header('x-trace')).toBe('abc');
  });
  it('setBody updates Content-Length and Content-Type', () => {
    const m = parse(INVITE);
    const body = Buffer.from('v=0\r\n');
    m.setBody(body, 'application/sdp');
    const p = parse(m.serialize());
    expect(p.body.toString()).toBe('v=0\r\n');
    expect(p.header('content-length')).toBe('5');
    m.setBody(Buffer.alloc(0));
    const q = parse(m.serialize());
    expect(q.has('content-type')).toBe(false);
    expect(q.header('content-length')).toBe('0');
  });
  it('setRequestUri rewrites only the start line', () => {
    const m = parse(INVITE);
    m.setRequestUri('sip:bob@10.0.0.7:5060');
    expect(m.serialize().toString()).toBe(INVITE.replace('INVITE sip:bob@biloxi.example.com SIP/2.0', 'INVITE sip:bob@10.0.0.7:5060 SIP/2.0'));
    expect(m.uri).toBe('sip:bob@10.0.0.7:5060');
  });
  it('replaceTopVia with withReceived edits only the first value of a comma list (RFC 3581)', () => {
    const s = INVITE.replace(/Via: .*\r\nVia: /, 'Via: SIP/2.0/UDP a.example.com;rport;branch=z9hG4bK1, ');
    const m = parse(s);
    expect(m.vias()).toHaveLength(2);
    m.replaceTopVia(withReceived(m.header('via')!, '203.0.113.9', 34567));
    const p = parse(m.serialize());
    expect(p.vias()[0]).toMatchObject({ received: '203.0.113.9', rport: 34567 });
    expect(p.vias()[1]?.host).toBe('proxy.atlanta.example.com');
  });
  it('removeTopVia drops our Via from a response, whole line or list element', () => {
    const m = parse(OK200.replace('Via: ', 'Via: SIP/2.0/UDP sbc.example.net;branch=z9hG4bKsbc\r\nVia: '));
    m.removeTopVia();
    expect(m.serialize().toString()).toBe(OK200);
    const l = parse(OK200.replace('Via: ', 'Via: SIP/2.0/UDP sbc.example.net;branch=z9hG4bKsbc, '));
    l.removeTopVia();
    expect(parse(l.serialize()).vias().map((v) => v.host)).toEqual(['pc33.atlanta.example.com']);
  });
});

describe('RFC 3261 §8.2.6 buildResponse', () => {
  it('copies Vias, From, To (+tag), Call-ID, CSeq and writes Content-Length', () => {
    const req = parse(INVITE);
    const out = buildResponse(req, 486, 'Busy Here', { toTag: 'abc' });
    const r = parse(out);
    expect(r.status).toBe(486);
    expect(r.reason).toBe('Busy Here');
    expect(r.headerValues('via')).toEqual(req.headerValues('via'));
    expect(r.header('from')).toBe(req.header('from'));
    expect(r.to()?.tag).toBe('abc');
    expect(r.callId()).toBe(req.callId());
    expect(r.cseq()).toEqual(req.cseq());
    expect(r.header('content-length')).toBe('0');
  });
  it('100 Trying gets no To tag unless given one; other codes get a random one', () => {
    const req = parse(INVITE);
    expect(parse(buildResponse(req, 100, 'Trying')).to()?.tag).toBe(undefined);
    expect(parse(buildResponse(req, 500, 'Oops')).to()?.tag).toMatch(/^[0-9a-f]{12}$/);
  });
  it('keeps an existing To tag, adds headers and a body', () => {
    const req = parse(BYE);
    const r = parse(buildResponse(req, 200, 'OK', { toTag: 'ignored', headers: [['Server', 'Palisade']], body: Buffer.from('hi'), contentType: 'text/plain' }));
    expect(r.to()?.tag).toBe('1928301774');
    expect(r.header('server')).toBe('Palisade');
    expect(r.body.toString()).toBe('hi');
  });
  it('works from a partial message of a failed parse', () => {
    const res = parseMessage(Buffer.from(INVITE.replace('CSeq: 314159 INVITE', 'CSeq: 314159 BYE')));
    expect(res.ok).toBe(false);
    if (res.ok || !res.partial) throw new Error('expected a partial');
    expect(res.canReply).toBe(true);
    const r = parse(buildResponse(res.partial, 400, 'CSeq Method Mismatch'));
    expect(r.header('cseq')).toBe('314159 BYE');
  });
});

describe('RFC 3261 §18.3 framing', () => {
  it('datagram: bytes past Content-Length are discarded', () => {
    const m = parse(ACK + 'garbage');
    expect(m.body.length).toBe(0);
    expect(m.serialize().toString()).toBe(ACK);
  });
  it('datagram: no Content-Length means the body runs to the end', () => {
    const s = INVITE.replace(/Content-Length: \d+\r\n/, '');
    expect(parse(s).body.toString()).toBe(SDP);
  });
  it('stream: Content-Length is required', () => {
    const r = parseMessage(Buffer.from(INVITE.replace(/Content-Length: \d+\r\n/, '')), { stream: true });
    expect(r.ok === false && r.reason).toBe('missing_header');
    expect(parse(INVITE, true).body.toString()).toBe(SDP);
  });
});
