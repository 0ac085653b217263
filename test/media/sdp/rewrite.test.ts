// The relay's rewrite (RFC 8866 §5.2/§5.7/§5.14, RFC 3605, RFC 5761, RFC 4568, RFC 8839) and the RFC 3264 §8 version rule.
import { describe, expect, it } from 'vitest';
import {
  mediaInfo, newLegOrigin, origin, parseSdp, presentProto, rewriteSdp, stampVersion,
  type LegOrigin, type RewriteOptions, type Sdp,
} from '../../../src/media/sdp/index.js';
import { BARESIP, HOLD, IPV6, OLD_HOLD, REJECTED, SIPP, SLOPPY, WEBRTC } from './fixtures.js';

function parse(s: string): Sdp {
  const r = parseSdp(s);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.sdp;
}

const RELAY = '203.0.113.50';
const leg = (): LegOrigin => newLegOrigin({ sessionId: '42', version: 7n });

function rewrite(body: string, opts: Partial<RewriteOptions> & Pick<RewriteOptions, 'media'>): { text: string; sdp: Sdp; leg: LegOrigin } {
  const r = rewriteSdp(parse(body), { address: RELAY, leg: leg(), ...opts });
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  // Whatever we produce must parse again.
  expect(parseSdp(r.text).ok).toBe(true);
  return r;
}

const lines = (s: string): string[] => s.split('\r\n');

describe('addresses and ports (RFC 8866 §5.2, §5.7, §5.14)', () => {
  it('SIPp body: o=, session c=, m= port rewritten; codecs kept', () => {
    const { text } = rewrite(SIPP, { media: [{ address: RELAY, port: 20000 }] });
    expect(text).toBe(
      ['v=0', `o=- 42 7 IN IP4 ${RELAY}`, 's=-', `c=IN IP4 ${RELAY}`, 't=0 0', 'm=audio 20000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n'),
    );
    expect(text).not.toContain('127.0.0.1');
  });
  it('media-level c= rewritten; IPv4 relay in an IPv6 body changes the address type', () => {
    const { text } = rewrite(IPV6, { media: [{ address: RELAY, port: 20000 }] });
    expect(text).not.toContain('2001:db8');
    expect(lines(text)).toContain(`c=IN IP4 ${RELAY}`);
    expect(lines(text)).toContain(`o=- 42 7 IN IP4 ${RELAY}`);
    const v6 = rewrite(SIPP, { address: '2001:db8::99', media: [{ address: '2001:db8::99', port: 20000 }] }).text;
    expect(lines(v6)).toContain('c=IN IP6 2001:db8::99');
    expect(lines(v6)).toContain('o=- 42 7 IN IP6 2001:db8::99');
  });
  it('a media whose relay address differs from the session one gets its own c= after m= (and i=)', () => {
    const { sdp } = rewrite(SIPP.replace('m=audio 6000 RTP/AVP 0\r\n', 'm=audio 6000 RTP/AVP 0\r\ni=voice\r\n'), { media: [{ address: '198.51.100.1', port: 20000 }] });
    expect(sdp.media[0]!.map((l) => l.text)).toEqual(['m=audio 20000 RTP/AVP 0', 'i=voice', 'c=IN IP4 198.51.100.1', 'a=rtpmap:0 PCMU/8000']);
  });
  it('a body with c= only at media level and none at session level keeps that shape', () => {
    const { sdp } = rewrite(WEBRTC, { media: [{ address: RELAY, port: 20000, rtcpMux: true }, { address: RELAY, port: 20002, rtcpMux: true }] });
    expect(sdp.session.some((l) => l.type === 'c')).toBe(false);
    expect(sdp.media[0]!.filter((l) => l.type === 'c').map((l) => l.text)).toEqual([`c=IN IP4 ${RELAY}`]);
  });
  it('codec lines, fmtp and telephone-event (RFC 4733) are untouched', () => {
    const { sdp } = rewrite(BARESIP, { media: [{ address: RELAY, port: 20000, proto: 'RTP/AVP', crypto: [] }], stripIce: true });
    const before = parse(BARESIP).media[0]!.filter((l) => /^a=(rtpmap|fmtp|ptime)/.test(l.text));
    const after = sdp.media[0]!.filter((l) => /^a=(rtpmap|fmtp|ptime)/.test(l.text));
    expect(after).toEqual(before);
    expect(after.map((l) => l.text)).toContain('a=rtpmap:101 telephone-event/8000');
  });
  it('unknown lines stay byte for byte, LF endings and the missing final newline too', () => {
    const { text } = rewrite(SLOPPY, { media: [{ address: RELAY, port: 20000, rtcpPort: 20005 }] });
    expect(text).toContain('\nx=something private\n');
    expect(text).toContain('i=A session with  UTF-8 — and unknown lines\n');
    expect(text).not.toContain('\r');
    expect(text.endsWith(`a=rtcp:20005 IN IP4 ${RELAY}`)).toBe(true);
  });
  it('errors as values: an active stream without a target, a bad port', () => {
    const r = rewriteSdp(parse(SIPP), { address: RELAY, leg: leg(), media: [] });
    expect(r.ok ? '' : r.reason).toBe('missing_target');
    const r2 = rewriteSdp(parse(SIPP), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 1.5 }] });
    expect(r2.ok ? '' : r2.reason).toBe('bad_target');
    const r3 = rewriteSdp(parse(SIPP), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 2, rtcpPort: 70000 }] });
    expect(r3.ok ? '' : r3.reason).toBe('bad_target');
    const r4 = rewriteSdp(parse(SIPP), { address: '1.2.3.4\r\na=evil', leg: leg(), media: [{ address: RELAY, port: 2 }] });
    expect(r4.ok ? '' : r4.reason).toBe('bad_target');
    const r5 = rewriteSdp(parse(SIPP), { address: RELAY, leg: leg(), media: [{ address: 'a b', port: 2 }] });
    expect(r5.ok ? '' : r5.reason).toBe('bad_target');
    const r6 = rewriteSdp(parse(SIPP), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 2, crypto: ['1 X inline:a\r\nc=IN IP4 6.6.6.6'] }] });
    expect(r6.ok ? '' : r6.reason).toBe('bad_target');
    const r7 = rewriteSdp(parse(SIPP), { address: RELAY, leg: newLegOrigin({ sessionId: 'x y' }), media: [{ address: RELAY, port: 2 }] });
    expect(r7.ok ? '' : r7.reason).toBe('bad_target');
  });
});

describe('proto (RTP/AVP ⇄ RTP/SAVP, feedback variants kept)', () => {
  it('presentProto', () => {
    expect(presentProto('RTP/AVP', 'RTP/SAVP')).toBe('RTP/SAVP');
    expect(presentProto('RTP/SAVP', 'RTP/AVP')).toBe('RTP/AVP');
    expect(presentProto('RTP/SAVPF', 'RTP/AVP')).toBe('RTP/AVPF');
    expect(presentProto('RTP/AVPF', 'RTP/SAVP')).toBe('RTP/SAVPF');
    expect(presentProto('RTP/AVP', undefined)).toBe('RTP/AVP');
    expect(presentProto('UDP/TLS/RTP/SAVPF', 'RTP/SAVP')).toBe('RTP/SAVPF');
    expect(presentProto('udptl', 'RTP/AVP')).toBe('udptl');
    expect(presentProto('TCP/MSRP', 'RTP/SAVP')).toBe('TCP/MSRP');
  });
  it('baresip SAVP to a plain-RTP softswitch', () => {
    const { sdp } = rewrite(BARESIP, { media: [{ address: RELAY, port: 20000, proto: 'RTP/AVP', crypto: [] }] });
    expect(sdp.media[0]![0]!.text).toBe('m=audio 20000 RTP/AVP 96 0 8 101');
    expect(sdp.media[0]!.some((l) => l.text.startsWith('a=crypto'))).toBe(false);
  });
});

describe('RFC 4568 a=crypto: replaced, removed, added', () => {
  const ours = ['1 AES_CM_128_HMAC_SHA1_80 inline:b3Vycy1vdXJzLW91cnMtb3Vycy1vdXJzLW91cnMtb3Vy'];
  it('replaced where the first one was', () => {
    const { sdp } = rewrite(BARESIP, { media: [{ address: RELAY, port: 20000, crypto: ours }], stripIce: true });
    const texts = sdp.media[0]!.map((l) => l.text);
    expect(texts.filter((t) => t.startsWith('a=crypto'))).toEqual(['a=crypto:' + ours[0]]);
    expect(texts.at(-1)).toBe('a=crypto:' + ours[0]);
  });
  it('added to a plain RTP offer (SRTP towards the carrier), whole lines accepted too', () => {
    const { sdp, text } = rewrite(SIPP, { media: [{ address: RELAY, port: 20000, proto: 'RTP/SAVP', crypto: ['a=crypto:' + ours[0]] }] });
    expect(sdp.media[0]!.map((l) => l.text)).toEqual(['m=audio 20000 RTP/SAVP 0', 'a=rtpmap:0 PCMU/8000', 'a=crypto:' + ours[0]]);
    expect(text.endsWith('\r\n')).toBe(true);
  });
  it('kept when the target says nothing; dropped from a rejected stream with no target', () => {
    expect(rewrite(BARESIP, { media: [{ address: RELAY, port: 20000 }] }).text).toContain('a=crypto:2 AES_CM_128_HMAC_SHA1_32');
    expect(rewrite(REJECTED, { media: [{ address: RELAY, port: 20000 }] }).text).not.toContain('a=crypto');
  });
});

describe('RFC 3605 a=rtcp and RFC 5761 rtcp-mux', () => {
  it('rewritten in place with our port and address', () => {
    const { sdp } = rewrite(HOLD, { media: [{ address: RELAY, port: 20000, rtcpPort: 20001 }] });
    expect(sdp.media[0]!.at(-1)!.text).toBe(`a=rtcp:20001 IN IP4 ${RELAY}`);
  });
  it('dropped when no RTCP port is given (it would carry the other side\'s address)', () => {
    expect(rewrite(HOLD, { media: [{ address: RELAY, port: 20000 }] }).text).not.toContain('a=rtcp');
  });
  it('added only when RTCP is not on port + 1', () => {
    expect(rewrite(SIPP, { media: [{ address: RELAY, port: 20000, rtcpPort: 20001 }] }).text).not.toContain('a=rtcp');
    expect(rewrite(SIPP, { media: [{ address: RELAY, port: 20000, rtcpPort: 30001 }] }).text).toContain(`a=rtcp:30001 IN IP4 ${RELAY}\r\n`);
  });
  it('rtcp-mux: a=rtcp dropped and a=rtcp-mux kept or added; without mux a=rtcp-mux removed', () => {
    const w = rewrite(WEBRTC, { media: [{ address: RELAY, port: 20000, rtcpMux: true }, { address: RELAY, port: 20002, rtcpMux: true }] }).text;
    expect(w).not.toContain('a=rtcp:');
    expect(w.match(/a=rtcp-mux/g)).toHaveLength(2);
    const s = rewrite(SIPP, { media: [{ address: RELAY, port: 20000, rtcpMux: true }] }).text;
    expect(s.endsWith('a=rtcp-mux\r\n')).toBe(true);
    const n = rewrite(WEBRTC, { media: [{ address: RELAY, port: 20000, rtcpPort: 20001 }, { address: RELAY, port: 20002, rtcpPort: 20003 }] }).text;
    expect(n).not.toContain('a=rtcp-mux');
    expect(n).toContain(`a=rtcp:20001 IN IP4 ${RELAY}`);
  });
});

describe('RFC 8839 ICE removal towards a side without ICE', () => {
  it('candidates, ice-*, end-of-candidates and remote-candidates go at both levels', () => {
    const body = BARESIP.replace('a=end-of-candidates', 'a=end-of-candidates\r\na=remote-candidates:1 192.168.1.20 10370');
    const { text } = rewrite(body, { media: [{ address: RELAY, port: 20000 }], stripIce: true });
    expect(text).not.toMatch(/a=(candidate|ice-|end-of-candidates|remote-candidates)/);
    expect(text).not.toContain('192.168.1.20');
    expect(text).not.toContain('203.0.113.7');
    expect(text).toContain('a=tool:baresip 1.0.0');
  });
  it('kept unless asked', () => {
    expect(rewrite(BARESIP, { media: [{ address: RELAY, port: 20000 }] }).text).toContain('a=candidate:1 1 UDP');
  });
});

describe('RFC 3264 §6 rejected streams and §8.4 hold', () => {
  it('port 0 stays 0, even with a target; its c= is still hidden', () => {
    const body = REJECTED.replace('m=video 0 RTP/AVP 31\r\n', 'm=video 0 RTP/AVP 31\r\nc=IN IP4 10.20.30.41\r\n');
    const r = rewriteSdp(parse(body), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 20000 }, { address: RELAY, port: 20002 }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.sdp.media[1]![0]!.text).toBe('m=video 0 RTP/AVP 31');
    expect(r.text).not.toMatch(/10\.20\.30/);
    expect(r.media.map((m) => m.rejected)).toEqual([false, true]);
  });
  it('target port 0 rejects an active stream: no rtcp, keys or mux left', () => {
    const r = rewriteSdp(parse(WEBRTC), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 20000, rtcpMux: true }, { address: RELAY, port: 0, rtcpMux: true }] });
    if (!r.ok) throw new Error(r.detail);
    expect(r.sdp.media[1]!.map((l) => l.text).filter((t) => /^(m=|a=(rtcp|crypto))/.test(t))).toEqual(['m=video 0 RTP/SAVPF 96']);
    expect(r.media.map((m) => m.rejected)).toEqual([false, true]);
  });
  it('a=sendonly preserved and reported', () => {
    const r = rewriteSdp(parse(HOLD), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 20000 }] });
    expect(r.ok && r.hold).toBe(true);
    expect(r.ok && r.media[0]!.direction).toBe('sendonly');
    expect(r.ok && r.text).toContain('a=sendonly\r\n');
    expect(r.ok && r.text).not.toContain('10.1.2.3');
  });
  it('old-style c=0.0.0.0 preserved and reported; no media c= added', () => {
    const r = rewriteSdp(parse(OLD_HOLD), { address: RELAY, leg: leg(), media: [{ address: RELAY, port: 20000 }] });
    if (!r.ok) throw new Error(r.detail);
    expect(r.hold).toBe(true);
    expect(r.sdp.session.find((l) => l.type === 'c')!.text).toBe('c=IN IP4 0.0.0.0');
    expect(r.sdp.media[0]!.some((l) => l.type === 'c')).toBe(false);
    expect(mediaInfo(r.sdp, 0)!.holdByAddress).toBe(true);
  });
});

describe('RFC 3264 §8 o= version per leg', () => {
  it('stampVersion: first body keeps the start, same content keeps it, new content +1', () => {
    let l = newLegOrigin({ sessionId: '1' });
    let s = stampVersion(l, 'a');
    expect(s.version).toBe(0n);
    l = s.leg;
    s = stampVersion(l, 'a');
    expect(s.version).toBe(0n);
    expect(s.leg).toBe(l);
    s = stampVersion(s.leg, 'b');
    expect(s.version).toBe(1n);
    s = stampVersion(s.leg, 'b');
    expect(s.version).toBe(1n);
    s = stampVersion(s.leg, 'a');
    expect(s.version).toBe(2n);
  });
  it('a re-INVITE with the same media keeps the version; hold bumps it; the incoming version does not matter', () => {
    const t = { address: RELAY, port: 20000, rtcpPort: 20001 };
    const first = rewrite(SIPP, { media: [t] });
    expect(origin(first.sdp)!.sessionVersion).toBe('7');
    // The peer bumped its own version with no change: what we send is the same, so is our version.
    const again = rewriteSdp(parse(SIPP.replace('2353687637', '2353687638')), { address: RELAY, leg: first.leg, media: [t] });
    if (!again.ok) throw new Error(again.detail);
    expect(again.version).toBe(7n);
    expect(again.text).toBe(first.text);
    const hold = rewriteSdp(parse(SIPP + 'a=sendonly\r\n'), { address: RELAY, leg: again.leg, media: [t] });
    if (!hold.ok) throw new Error(hold.detail);
    expect(hold.version).toBe(8n);
    expect(origin(hold.sdp)).toMatchObject({ username: '-', sessionId: '42', sessionVersion: '8' });
  });
  it('a new relay port is a change', () => {
    const first = rewrite(SIPP, { media: [{ address: RELAY, port: 20000 }] });
    const r = rewriteSdp(parse(SIPP), { address: RELAY, leg: first.leg, media: [{ address: RELAY, port: 20010 }] });
    expect(r.ok && r.version).toBe(8n);
  });
  it('the username can be set per leg', () => {
    const r = rewriteSdp(parse(SIPP), { address: RELAY, leg: newLegOrigin({ sessionId: '9', username: 'palisade', version: 2n }), media: [{ address: RELAY, port: 20000 }] });
    expect(r.ok && r.text).toContain(`o=palisade 9 2 IN IP4 ${RELAY}\r\n`);
  });
});
