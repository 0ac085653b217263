// Accessors the relay and the policy read (RFC 8866 §5.7/§5.14, RFC 3605, RFC 5761, RFC 3264 §8.4, RFC 4568 §9.1, RFC 8839).
import { describe, expect, it } from 'vitest';
import { isOnHold, mediaInfo, mediaInfos, origin, parseSdp, sessionConnection, splitCrypto, type Sdp } from '../../../src/media/sdp/index.js';
import { BARESIP, HOLD, IPV6, OLD_HOLD, REJECTED, SIPP, SLOPPY, WEBRTC } from './fixtures.js';

function parse(s: string): Sdp {
  const r = parseSdp(s);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.sdp;
}

describe('RFC 8866 §5.14 m= and §5.7 c=', () => {
  it('SIPp: type, port, proto, formats, session-level connection', () => {
    const m = mediaInfo(parse(SIPP), 0)!;
    expect([m.type, m.port, m.proto, m.formats, m.portCount]).toEqual(['audio', 6000, 'RTP/AVP', ['0'], undefined]);
    expect(m.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '127.0.0.1', suffix: '' });
    expect(m.connectionLevel).toBe('session');
    expect([m.rtcp, m.rtcpMux, m.direction, m.hold, m.rejected, m.ice, m.crypto]).toEqual([undefined, false, 'sendrecv', false, false, false, []]);
  });
  it('a media-level c= wins over the session one (IPv6)', () => {
    const sdp = parse(IPV6);
    expect(sessionConnection(sdp)?.address).toBe('2001:db8::1');
    const m = mediaInfo(sdp, 0)!;
    expect([m.connection?.addrType, m.connection?.address, m.connectionLevel]).toEqual(['IP6', '2001:db8::2', 'media']);
  });
  it('double spaces between fields are tolerated', () => {
    expect(mediaInfo(parse(SLOPPY), 0)).toMatchObject({ port: 4000, proto: 'RTP/AVP', formats: ['0'] });
  });
  it('o= (§5.2)', () => {
    expect(origin(parse(SIPP))).toEqual({ username: 'user1', sessionId: '53655765', sessionVersion: '2353687637', netType: 'IN', addrType: 'IP4', address: '127.0.0.1' });
  });
  it('out of range index', () => expect(mediaInfo(parse(SIPP), 1)).toBeUndefined());
});

describe('RFC 3605 a=rtcp, RFC 5761 a=rtcp-mux', () => {
  it('port and optional address', () => {
    expect(mediaInfo(parse(HOLD), 0)!.rtcp).toEqual({ port: 30001, connection: { netType: 'IN', addrType: 'IP4', address: '10.1.2.3', suffix: '' } });
    const w = mediaInfo(parse(WEBRTC), 0)!;
    expect([w.rtcp?.port, w.rtcpMux]).toEqual([54400, true]);
    expect(mediaInfo(parse(SIPP + 'a=rtcp:6001\r\n'), 0)!.rtcp).toEqual({ port: 6001, connection: undefined });
  });
});

describe('RFC 3264 §8.4 hold and §6 rejected streams', () => {
  it('a=sendonly is hold', () => {
    const m = mediaInfo(parse(HOLD), 0)!;
    expect([m.direction, m.hold, m.holdByAddress]).toEqual(['sendonly', true, false]);
    expect(isOnHold(parse(HOLD))).toBe(true);
  });
  it('c=0.0.0.0 is old-style hold', () => {
    const m = mediaInfo(parse(OLD_HOLD), 0)!;
    expect([m.direction, m.hold, m.holdByAddress]).toEqual(['sendrecv', true, true]);
  });
  it('a session-level direction applies unless the media says otherwise', () => {
    const body = SIPP.replace('t=0 0\r\n', 't=0 0\r\na=inactive\r\n');
    expect(mediaInfo(parse(body), 0)!.direction).toBe('inactive');
    expect(mediaInfo(parse(body + 'a=sendrecv\r\n'), 0)!.direction).toBe('sendrecv');
  });
  it('port 0 is rejected, and a rejected stream is not "on hold"', () => {
    const infos = mediaInfos(parse(REJECTED));
    expect(infos.map((m) => [m.type, m.rejected])).toEqual([['audio', false], ['video', true]]);
    expect(isOnHold(parse(REJECTED))).toBe(false);
    expect(mediaInfo(parse(WEBRTC), 1)!.direction).toBe('recvonly');
  });
});

describe('RFC 4568 §9.1 a=crypto split as tag suite rest; RFC 8839 ICE presence', () => {
  it('baresip: two crypto lines, ICE present', () => {
    const m = mediaInfo(parse(BARESIP), 0)!;
    expect(m.crypto.map((c) => [c.tag, c.suite])).toEqual([['1', 'AES_CM_128_HMAC_SHA1_80'], ['2', 'AES_CM_128_HMAC_SHA1_32']]);
    expect(m.crypto[0]!.rest).toBe('inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31');
    expect(m.ice).toBe(true);
  });
  it('session-level ICE alone counts', () => {
    expect(mediaInfo(parse(SIPP.replace('t=0 0\r\n', 't=0 0\r\na=ice-lite\r\n')), 0)!.ice).toBe(true);
  });
  it('splitCrypto keeps session params in rest and refuses what is not tag suite key', () => {
    expect(splitCrypto('7 AEAD_AES_256_GCM inline:abc UNENCRYPTED_SRTCP')).toMatchObject({ tag: '7', suite: 'AEAD_AES_256_GCM', rest: 'inline:abc UNENCRYPTED_SRTCP' });
    expect(splitCrypto('x AES inline:a')).toBeUndefined();
    expect(splitCrypto('1 AES')).toBeUndefined();
    expect(splitCrypto('')).toBeUndefined();
  });
});

describe('small helpers', () => {
  it('attributes(): values of every a=<name> in a section, names case-insensitive (RFC 8866 §5.13)', async () => {
    const { attributes, attrName, attrValue } = await import('../../../src/media/sdp/index.js');
    const sdp = parse(BARESIP);
    expect(attributes(sdp.media[0]!, 'RTPMAP')).toEqual(['96 opus/48000/2', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000']);
    expect(attributes(sdp.session, 'tool')).toEqual(['baresip 1.0.0']);
    expect([attrName('a=Rtcp-Mux'), attrValue('a=rtcp-mux'), attrValue('a=fmtp:101 0-15')]).toEqual(['rtcp-mux', '', '101 0-15']);
  });
  it('sessionDirection, isIceAttr, isHoldAddress, addrType', async () => {
    const { sessionDirection, isIceAttr, isHoldAddress, addrType } = await import('../../../src/media/sdp/index.js');
    expect(sessionDirection(parse(SIPP))).toBeUndefined();
    expect(sessionDirection(parse(SIPP.replace('t=0 0\r\n', 't=0 0\r\na=recvonly\r\n')))).toBe('recvonly');
    expect(['candidate', 'ice-ufrag', 'ice-lite', 'end-of-candidates', 'remote-candidates', 'rtcp-mux', 'crypto'].map(isIceAttr)).toEqual([true, true, true, true, true, false, false]);
    expect([isHoldAddress({ netType: 'IN', addrType: 'IP4', address: '0.0.0.0', suffix: '' }), isHoldAddress({ netType: 'IN', addrType: 'IP6', address: '::', suffix: '' }), isHoldAddress(undefined)]).toEqual([true, true, false]);
    expect([addrType('192.0.2.1'), addrType('2001:db8::1')]).toEqual(['IP4', 'IP6']);
  });
  it('multicast c= keeps the /ttl suffix apart from the address', () => {
    const m = mediaInfo(parse(SIPP.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 233.252.0.1/127/3')), 0)!;
    expect(m.connection).toMatchObject({ address: '233.252.0.1', suffix: '/127/3' });
  });
});
