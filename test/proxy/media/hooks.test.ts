// The media layer with a fake engine: offer/answer through each call flow, the SRTP
// policy each way, refusals, and that no rewritten body names the other side.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createMediaLayer, type MediaLayer } from '../../../src/proxy/media.js';
import { parseCrypto } from '../../../src/media/srtp/index.js';
import { EXT_RELAY, INT_RELAY, fakeEngine, type FakeEngine } from './fake-engine.js';
import { CALLER, SOFTSWITCH, audio, bodyOf, cryptoLine, ctx, request, response, sdp } from './helpers.js';

function setup(media: Record<string, unknown> = {}, trunks: unknown[] = []): { engine: FakeEngine; layer: MediaLayer } {
  const config = configSchema.parse({ media, trunks });
  const engine = fakeEngine();
  return { engine, layer: createMediaLayer({ engine, config }) };
}

const callerSdp = (o: Partial<Parameters<typeof sdp>[0]> = {}) => sdp({ addr: CALLER, port: 4000, ...o });
const ssSdp = (o: Partial<Parameters<typeof sdp>[0]> = {}) => sdp({ addr: SOFTSWITCH, port: 5000, ...o });

/** Nothing of the sending side's addresses in a body for the other side. */
function expectClean(body: string, forbidden: string[]): void {
  for (const a of forbidden) expect(body, `${a} leaked`).not.toContain(a);
}

async function established(layer: MediaLayer, key = 'k1') {
  const inv = request('INVITE', 1, callerSdp());
  expect(await layer.process(ctx(key, 'external', inv))).toEqual({ ok: true });
  const ok = response(200, 'INVITE', 1, ssSdp());
  expect(await layer.process(ctx(key, 'internal', ok))).toEqual({ ok: true });
  return { inv, ok };
}

describe('offer/answer through INVITE/200 (origination)', () => {
  it('anchors both legs and rewrites each body for its realm', async () => {
    const { engine, layer } = setup();
    const { inv, ok } = await established(layer);
    const toSs = bodyOf(inv);
    expect(audio(toSs).c).toEqual([INT_RELAY]);
    expect(audio(toSs).port).toBe(40000);
    expect(audio(toSs).proto).toBe('RTP/AVP');
    expect(audio(toSs).crypto).toEqual([]); // internal: SRTP off
    expect(toSs).toMatch(/^o=- \d+ \d+ IN IP4 10\.0\.0\.1$/m);
    expect(toSs).toContain('a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16');
    expect(toSs).toContain('a=ptime:20');
    expectClean(toSs, [CALLER]);
    const toCaller = bodyOf(ok);
    expect(audio(toCaller).c).toEqual([EXT_RELAY]);
    expect(audio(toCaller).port).toBe(30000);
    expectClean(toCaller, [SOFTSWITCH, INT_RELAY]);
    const s = engine.sessions.get('k1')!;
    expect(s.remotes[0]).toMatchObject({ address: CALLER, rtpPort: 4000, rtcpPort: 4001, rtcpMux: false, codec: 'PCMU', clockRate: 8000 });
    expect(s.remotes[0]!.srtp).toBeUndefined();
    expect(s.remotes[1]).toMatchObject({ address: SOFTSWITCH, rtpPort: 5000, rtcpMux: false });
    expect(s.directions).toEqual(['sendrecv', 'sendrecv']);
    expect(inv.header('content-length')).toBe(String(inv.body.length));
  });

  it('strips ICE towards both sides and keeps rtcp-mux when offered', async () => {
    const { engine, layer } = setup();
    const inv = request('INVITE', 1, callerSdp({ ice: true, mux: true }));
    await layer.process(ctx('k', 'external', inv));
    const b = bodyOf(inv);
    expect(b).not.toMatch(/a=(candidate|ice-)/);
    expect(b).toContain('a=rtcp-mux');
    expect(b).not.toContain('a=rtcp:');
    expectClean(b, [CALLER, '192.0.2.99']);
    expect(engine.sessions.get('k')!.remotes[0]!.rtcpMux).toBe(true);
  });

  it('a body that is not SDP passes untouched and allocates nothing', async () => {
    const { engine, layer } = setup();
    const info = request('INFO', 2, 'Signal=5\r\nDuration=160\r\n', 'application/dtmf-relay');
    expect(await layer.process(ctx('k', 'external', info))).toEqual({ ok: true });
    expect(bodyOf(info)).toBe('Signal=5\r\nDuration=160\r\n');
    expect(engine.allocated).toBe(0);
  });

  it('rewrites the SDP part of a multipart body and leaves the other parts byte for byte', async () => {
    const { layer } = setup();
    const isup = 'ISUP-BYTES\x01\x02\x03';
    const body = ['--b1', 'Content-Type: application/sdp', '', callerSdp().trimEnd(), '--b1', 'Content-Type: application/isup', '', isup, '--b1--', ''].join('\r\n');
    const inv = request('INVITE', 1, body, 'multipart/mixed;boundary=b1');
    expect(await layer.process(ctx('k', 'external', inv))).toEqual({ ok: true });
    const out = bodyOf(inv);
    expect(out).toContain(`c=IN IP4 ${INT_RELAY}`);
    expect(out).toContain(`Content-Type: application/isup\r\n\r\n${isup}\r\n--b1--`);
    expectClean(out, [CALLER]);
  });

  it('refuses an unreadable SDP with 488', async () => {
    const { layer } = setup();
    const inv = request('INVITE', 1, 'v=0\r\no=broken\r\n');
    expect(await layer.process(ctx('k', 'external', inv))).toMatchObject({ ok: false, status: 488 });
  });
});

describe('late offer (offer in 200, answer in ACK)', () => {
  it('allocates on the 200 and completes on the ACK', async () => {
    const { engine, layer } = setup();
    const ok = response(200, 'INVITE', 1, ssSdp());
    expect(await layer.process(ctx('k', 'internal', ok))).toEqual({ ok: true });
    const offer = bodyOf(ok);
    // towards the external realm (optional): best-effort SRTP, RTP/AVP with our a=crypto lines
    expect(audio(offer).proto).toBe('RTP/AVP');
    expect(audio(offer).crypto).toHaveLength(2);
    expect(audio(offer).c).toEqual([EXT_RELAY]);
    expectClean(offer, [SOFTSWITCH, INT_RELAY]);
    expect(engine.sessions.get('k')!.remotes[1]).toMatchObject({ address: SOFTSWITCH, rtpPort: 5000 });

    // the caller answers with SRTP on the first tag
    const ours = parseCrypto(audio(offer).crypto[0]!);
    if (!ours.ok) throw new Error('bad offer crypto');
    const theirs = cryptoLine(ours.crypto.tag, ours.crypto.suite.name);
    const ack = request('ACK', 1, callerSdp({ crypto: [theirs] }));
    expect(await layer.process(ctx('k', 'external', ack))).toEqual({ ok: true });
    const answer = bodyOf(ack);
    expect(audio(answer).crypto).toEqual([]);
    expect(audio(answer).c).toEqual([INT_RELAY]);
    expectClean(answer, [CALLER]);
    const leg0 = engine.sessions.get('k')!.remotes[0]!;
    expect(leg0.srtp?.rx.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    const t = parseCrypto(theirs);
    if (!t.ok) throw new Error('x');
    expect(Buffer.from(leg0.srtp!.rx.key).equals(Buffer.concat([t.crypto.keys[0]!.key, t.crypto.keys[0]!.salt]))).toBe(true);
    expect(Buffer.from(leg0.srtp!.tx.key).equals(Buffer.concat([ours.crypto.keys[0]!.key, ours.crypto.keys[0]!.salt]))).toBe(true);
  });

  it('an ACK with a body but no offer to answer loses the body', async () => {
    const { layer } = setup();
    await established(layer);
    const ack = request('ACK', 1, callerSdp());
    expect(await layer.process(ctx('k1', 'external', ack))).toEqual({ ok: true });
    expect(ack.body.length).toBe(0);
  });

  it('an answer in the ACK that fails policy ends the call (BYE both ways)', async () => {
    const { layer } = setup({ srtp: { external: 'required' } });
    const ended: string[] = [];
    layer.onEnd((k, r) => ended.push(`${k} ${r}`));
    const ok = response(200, 'INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', ok));
    expect(audio(bodyOf(ok)).proto).toBe('RTP/SAVP');
    const ack = request('ACK', 1, callerSdp({ proto: 'RTP/SAVP' })); // no crypto
    expect(await layer.process(ctx('k', 'external', ack))).toMatchObject({ ok: false, status: 488, reason: 'no_crypto' });
    await new Promise((r) => setImmediate(r));
    expect(ended).toEqual(['k answer_refused_no_crypto']);
  });
});

describe('early media, re-INVITE, UPDATE, PRACK', () => {
  it('183 then 200 with the same SDP keeps the o= version; a different SDP bumps it', async () => {
    const { engine, layer } = setup();
    await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp())));
    const r183 = response(183, 'INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', r183));
    const r200 = response(200, 'INVITE', 1, ssSdp({ version: 2 }));
    await layer.process(ctx('k', 'internal', r200));
    expect(audio(bodyOf(r200)).version).toBe(audio(bodyOf(r183)).version);
    expect(bodyOf(r200)).toBe(bodyOf(r183));
    // only their port changed: what the caller sees is the same body, same version
    const moved = response(200, 'INVITE', 1, ssSdp({ port: 5100 }));
    await layer.process(ctx('k', 'internal', moved));
    expect(bodyOf(moved)).toBe(bodyOf(r183));
    const other = response(200, 'INVITE', 1, ssSdp({ port: 5100, extra: ['a=maxptime:40'] }));
    await layer.process(ctx('k', 'internal', other));
    expect(BigInt(audio(bodyOf(other)).version)).toBe(BigInt(audio(bodyOf(r183)).version) + 1n);
    expect(engine.sessions.get('k')!.remotes[1]!.rtpPort).toBe(5100);
    expect(audio(bodyOf(other)).port).toBe(30000); // our port does not move
  });

  it('re-INVITE hold (sendonly / inactive) sets the relay direction and bumps the version', async () => {
    const { engine, layer } = setup();
    const { inv } = await established(layer);
    const v1 = BigInt(audio(bodyOf(inv)).version);
    const hold = request('INVITE', 2, callerSdp({ dir: 'sendonly', version: 2 }));
    await layer.process(ctx('k1', 'external', hold));
    expect(bodyOf(hold)).toContain('a=sendonly');
    expect(BigInt(audio(bodyOf(hold)).version)).toBe(v1 + 1n);
    expect(engine.sessions.get('k1')!.directions[0]).toBe('sendonly');
    const ok = response(200, 'INVITE', 2, ssSdp({ dir: 'recvonly' }));
    await layer.process(ctx('k1', 'internal', ok));
    expect(bodyOf(ok)).toContain('a=recvonly');
    expect(engine.sessions.get('k1')!.directions[1]).toBe('recvonly');
    // an unchanged re-INVITE (session refresh) keeps the version
    const again = request('INVITE', 3, callerSdp({ dir: 'sendonly', version: 3 }));
    await layer.process(ctx('k1', 'external', again));
    expect(audio(bodyOf(again)).version).toBe(audio(bodyOf(hold)).version);
    const inactive = request('UPDATE', 4, callerSdp({ dir: 'inactive' }));
    await layer.process(ctx('k1', 'external', inactive));
    expect(engine.sessions.get('k1')!.directions[0]).toBe('inactive');
    const upd = response(200, 'UPDATE', 4, ssSdp({ dir: 'inactive' }));
    expect(await layer.process(ctx('k1', 'internal', upd))).toEqual({ ok: true });
    expect(audio(bodyOf(upd)).c).toEqual([EXT_RELAY]);
  });

  it('a re-INVITE from the softswitch side is an offer towards the caller', async () => {
    const { engine, layer } = setup();
    await established(layer);
    const re = request('INVITE', 1, ssSdp({ port: 5200 }));
    await layer.process(ctx('k1', 'internal', re));
    expect(audio(bodyOf(re)).c).toEqual([EXT_RELAY]);
    expect(audio(bodyOf(re)).crypto).toHaveLength(2);
    expect(engine.sessions.get('k1')!.remotes[1]!.rtpPort).toBe(5200);
    const ok = response(200, 'INVITE', 1, callerSdp({ port: 4100 }));
    await layer.process(ctx('k1', 'external', ok));
    expect(audio(bodyOf(ok)).c).toEqual([INT_RELAY]);
    expect(engine.sessions.get('k1')!.remotes[0]!.rtpPort).toBe(4100);
  });

  it('a failed re-INVITE restores the previous far end and its SDP does not cross', async () => {
    const { engine, layer } = setup();
    await established(layer);
    await layer.process(ctx('k1', 'external', request('INVITE', 2, callerSdp({ port: 4400 }))));
    expect(engine.sessions.get('k1')!.remotes[0]!.rtpPort).toBe(4400);
    const r488 = response(488, 'INVITE', 2, ssSdp());
    expect(await layer.process(ctx('k1', 'internal', r488))).toEqual({ ok: true });
    expect(r488.body.length).toBe(0);
    expect(engine.sessions.get('k1')!.remotes[0]!.rtpPort).toBe(4000);
  });

  it('late offer in a reliable 183, answered in PRACK', async () => {
    const { engine, layer } = setup();
    const r183 = response(183, 'INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', r183));
    const prack = request('PRACK', 2, callerSdp());
    expect(await layer.process(ctx('k', 'external', prack))).toEqual({ ok: true });
    expect(audio(bodyOf(prack)).c).toEqual([INT_RELAY]);
    expect(engine.sessions.get('k')!.remotes[0]!.rtpPort).toBe(4000);
  });
});

describe('rejected streams (port 0)', () => {
  it('a second active stream is refused with port 0 both ways; the audio is relayed', async () => {
    const { engine, layer } = setup();
    const inv = request('INVITE', 1, callerSdp({ video: 4002 }));
    await layer.process(ctx('k', 'external', inv));
    expect(bodyOf(inv)).toMatch(/^m=video 0 RTP\/AVP 96$/m);
    const ok = response(200, 'INVITE', 1, ssSdp({ video: 0 }));
    await layer.process(ctx('k', 'internal', ok));
    expect(bodyOf(ok)).toMatch(/^m=video 0 /m);
    expect(audio(bodyOf(ok)).port).toBe(30000);
    expectClean(bodyOf(ok), [SOFTSWITCH]);
    expect(engine.sessions.get('k')!.remotes[1]!.rtpPort).toBe(5000);
  });

  it('an answer rejecting the audio (port 0) gives port 0 to the caller and an inactive relay', async () => {
    const { engine, layer } = setup();
    await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp())));
    const ok = response(200, 'INVITE', 1, ssSdp({ port: 0 }));
    expect(await layer.process(ctx('k', 'internal', ok))).toEqual({ ok: true });
    expect(audio(bodyOf(ok)).port).toBe(0);
    expect(engine.sessions.get('k')!.directions).toEqual(['inactive', 'inactive']);
  });

  it('an answer with a different number of m= lines is refused', async () => {
    const { layer } = setup();
    await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp({ video: 4002 }))));
    expect(await layer.process(ctx('k', 'internal', response(200, 'INVITE', 1, ssSdp())))).toMatchObject({ ok: false, status: 488, reason: 'answer_mismatch' });
  });
});

describe('SRTP policy (RFC 4568 SDES, RTP/AVP ⇄ RTP/SAVP)', () => {
  it('external required: RTP/AVP without crypto gets 488', async () => {
    const { engine, layer } = setup({ srtp: { external: 'required' } });
    expect(await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp())))).toMatchObject({ ok: false, status: 488, reason: 'srtp_required' });
    expect(engine.allocated).toBe(0);
  });

  it('external required: SRTP from the caller, plain RTP to the softswitch, SRTP answer with our key under their tag', async () => {
    const { engine, layer } = setup({ srtp: { external: 'required', internal: 'off' } });
    const theirs = cryptoLine(7, 'AES_CM_128_HMAC_SHA1_32');
    const inv = request('INVITE', 1, callerSdp({ proto: 'RTP/SAVP', crypto: [theirs] }));
    expect(await layer.process(ctx('k', 'external', inv))).toEqual({ ok: true });
    expect(audio(bodyOf(inv)).proto).toBe('RTP/AVP');
    expect(audio(bodyOf(inv)).crypto).toEqual([]);
    const ok = response(200, 'INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', ok));
    const a = audio(bodyOf(ok));
    expect(a.proto).toBe('RTP/SAVP');
    expect(a.crypto).toHaveLength(1);
    const ours = parseCrypto(a.crypto[0]!);
    if (!ours.ok) throw new Error(ours.detail);
    expect(ours.crypto.tag).toBe(7);
    expect(ours.crypto.suite.name).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(a.crypto[0]).not.toBe(`a=crypto:${theirs.slice(9)}`);
    expect(a.crypto[0]).not.toContain(theirs.split('inline:')[1]!);
    const s = engine.sessions.get('k')!;
    expect(s.remotes[0]!.srtp?.rx.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(s.remotes[1]!.srtp).toBeUndefined();
  });

  it('external off: RTP/SAVP gets 488; best-effort crypto on RTP/AVP is answered without crypto', async () => {
    const { engine, layer } = setup({ srtp: { external: 'off' } });
    expect(await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp({ proto: 'RTP/SAVP', crypto: [cryptoLine()] }))))).toMatchObject({ ok: false, status: 488, reason: 'srtp_refused' });
    await layer.process(ctx('k2', 'external', request('INVITE', 1, callerSdp({ crypto: [cryptoLine()] }))));
    const ok = response(200, 'INVITE', 1, ssSdp());
    await layer.process(ctx('k2', 'internal', ok));
    expect(audio(bodyOf(ok)).crypto).toEqual([]);
    expect(engine.sessions.get('k2')!.remotes[0]!.srtp).toBeUndefined();
  });

  it('external optional: best-effort offer (RTP/AVP + a=crypto) from the caller becomes SRTP', async () => {
    const { engine, layer } = setup();
    await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp({ crypto: [cryptoLine(1, 'AEAD_AES_128_GCM')] }))));
    const ok = response(200, 'INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', ok));
    expect(audio(bodyOf(ok)).proto).toBe('RTP/AVP');
    expect(audio(bodyOf(ok)).crypto[0]).toMatch(/^a=crypto:1 AEAD_AES_128_GCM inline:/);
    expect(engine.sessions.get('k')!.remotes[0]!.srtp?.tx.suite).toBe('AEAD_AES_128_GCM');
  });

  it('internal required: a plain caller is offered to the softswitch as RTP/SAVP with our keys', async () => {
    const { engine, layer } = setup({ srtp: { external: 'optional', internal: 'required' } });
    const inv = request('INVITE', 1, callerSdp());
    await layer.process(ctx('k', 'external', inv));
    expect(audio(bodyOf(inv)).proto).toBe('RTP/SAVP');
    const offered = audio(bodyOf(inv)).crypto;
    expect(offered.map((l) => l.split(' ')[1])).toEqual(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
    const p = parseCrypto(offered[1]!);
    if (!p.ok) throw new Error('x');
    const ok = response(200, 'INVITE', 1, ssSdp({ proto: 'RTP/SAVP', crypto: [cryptoLine(p.crypto.tag, 'AES_CM_128_HMAC_SHA1_32')] }));
    expect(await layer.process(ctx('k', 'internal', ok))).toEqual({ ok: true });
    expect(audio(bodyOf(ok)).proto).toBe('RTP/AVP');
    expect(audio(bodyOf(ok)).crypto).toEqual([]);
    const leg1 = engine.sessions.get('k')!.remotes[1]!;
    expect(leg1.srtp?.tx.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(Buffer.from(leg1.srtp!.tx.key).equals(Buffer.concat([p.crypto.keys[0]!.key, p.crypto.keys[0]!.salt]))).toBe(true);
    // an answer without crypto where SRTP is required fails the call
    await layer.process(ctx('k2', 'external', request('INVITE', 1, callerSdp())));
    expect(await layer.process(ctx('k2', 'internal', response(200, 'INVITE', 1, ssSdp({ proto: 'RTP/SAVP' }))))).toMatchObject({ ok: false, status: 488, reason: 'no_crypto' });
  });

  it('termination, external optional: the carrier may answer the best-effort offer with or without crypto', async () => {
    const { engine, layer } = setup();
    const inv = request('INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', inv, 'carrier'));
    expect(audio(bodyOf(inv)).crypto).toHaveLength(2);
    await layer.process(ctx('k', 'external', response(200, 'INVITE', 1, callerSdp()), 'carrier'));
    expect(engine.sessions.get('k')!.remotes[0]!.srtp).toBeUndefined();
    const inv2 = request('INVITE', 1, ssSdp());
    await layer.process(ctx('k2', 'internal', inv2, 'carrier'));
    const answer = response(200, 'INVITE', 1, callerSdp({ crypto: [cryptoLine(2, 'AES_CM_128_HMAC_SHA1_32')] }));
    await layer.process(ctx('k2', 'external', answer, 'carrier'));
    expect(engine.sessions.get('k2')!.remotes[0]!.srtp?.rx.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(audio(bodyOf(answer)).crypto).toEqual([]);
    // a tag we never offered is no usable answer
    const inv3 = request('INVITE', 1, ssSdp());
    await layer.process(ctx('k3', 'internal', inv3, 'carrier'));
    await layer.process(ctx('k3', 'external', response(200, 'INVITE', 1, callerSdp({ crypto: [cryptoLine(9)] })), 'carrier'));
    expect(engine.sessions.get('k3')!.remotes[0]!.srtp).toBeUndefined();
  });

  it('termination, external required: RTP/SAVP offered; an answer without crypto gets 488', async () => {
    const { layer } = setup({ srtp: { external: 'required' } });
    const inv = request('INVITE', 1, ssSdp());
    await layer.process(ctx('k', 'internal', inv));
    expect(audio(bodyOf(inv)).proto).toBe('RTP/SAVP');
    expect(await layer.process(ctx('k', 'external', response(200, 'INVITE', 1, callerSdp({ proto: 'RTP/SAVP' }))))).toMatchObject({ ok: false, status: 488 });
  });

  it("a trunk's policy overrides the realm's", async () => {
    const { layer } = setup({ srtp: { external: 'optional' } }, [{ id: 'secure', srtp: 'required' }, { id: 'plain', srtp: 'off' }]);
    expect(await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp()), 'secure'))).toMatchObject({ ok: false, status: 488, reason: 'srtp_required' });
    expect(await layer.process(ctx('k2', 'external', request('INVITE', 1, callerSdp()), 'other'))).toEqual({ ok: true });
    const inv = request('INVITE', 1, ssSdp());
    await layer.process(ctx('k3', 'internal', inv, 'plain'));
    expect(audio(bodyOf(inv)).crypto).toEqual([]);
  });

  it('bad crypto gets 488: bad base64, wrong key length, unknown suite, MKI', async () => {
    const { layer } = setup({ srtp: { external: 'required' } });
    const bad = [
      '1 AES_CM_128_HMAC_SHA1_80 inline:!!!notbase64!!!',
      '1 AES_CM_128_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVFV2d3h5',
      '1 F8_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
      '1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4',
    ];
    for (const [i, c] of bad.entries()) {
      expect(await layer.process(ctx(`k${i}`, 'external', request('INVITE', 1, callerSdp({ proto: 'RTP/SAVP', crypto: [c] })))), c).toMatchObject({ ok: false, status: 488, reason: 'no_crypto' });
    }
  });
});

describe('sessions: allocation, end, engine end', () => {
  it('no free ports: 503', async () => {
    const { engine, layer } = setup();
    engine.failAllocate = 'ports_exhausted';
    expect(await layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp())))).toMatchObject({ ok: false, status: 503, reason: 'ports_exhausted' });
  });

  it('end() deletes the session once; later bodies of the call do not allocate again', async () => {
    const { engine, layer } = setup();
    await established(layer);
    layer.end('k1');
    layer.end('k1');
    await new Promise((r) => setTimeout(r, 10));
    expect(engine.deleted).toBe(1);
    expect(layer.sessionCount()).toBe(0);
    // a 2xx retransmitted after the BYE still goes through, without its SDP
    const late = response(200, 'INVITE', 1, ssSdp());
    expect(await layer.process(ctx('k1', 'internal', late))).toEqual({ ok: true });
    expect(late.body.length).toBe(0);
    // a new offer in the ended call is refused
    expect(await layer.process(ctx('k1', 'external', request('INVITE', 5, callerSdp())))).toMatchObject({ ok: false, status: 503 });
    expect(engine.allocated).toBe(1);
  });

  it('end() while the allocation is in flight frees it once it lands', async () => {
    const { engine, layer } = setup();
    const v = layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp())));
    layer.end('k');
    expect(await v).toMatchObject({ ok: false });
    await new Promise((r) => setTimeout(r, 10));
    expect(engine.sessions.size).toBe(0);
  });

  it("the relay's own end (media timeout) reaches the core's callback with the key and reason", async () => {
    const { engine, layer } = setup();
    const got: string[] = [];
    layer.onEnd((k, r) => got.push(`${k}:${r}`));
    await established(layer);
    engine.end('k1', 'media_timeout');
    expect(got).toEqual(['k1:media_timeout']);
    layer.end('k1'); // the core's cleanup: no delete for a session the engine already freed
    await new Promise((r) => setTimeout(r, 10));
    expect(engine.log.filter((l) => l.startsWith('delete'))).toEqual([]);
  });

  it('a far end the relay refuses (a host name in c=) gets 488', async () => {
    const { layer } = setup();
    const inv = request('INVITE', 1, callerSdp().replace(`c=IN IP4 ${CALLER}`, 'c=IN IP4 phone.example.com'));
    expect(await layer.process(ctx('k', 'external', inv))).toMatchObject({ ok: false, status: 488 });
  });

  it('bodies of one call are handled in order even when they arrive together', async () => {
    const { engine, layer } = setup();
    const a = layer.process(ctx('k', 'external', request('INVITE', 1, callerSdp())));
    const b = layer.process(ctx('k', 'internal', response(200, 'INVITE', 1, ssSdp())));
    expect(await a).toEqual({ ok: true });
    expect(await b).toEqual({ ok: true });
    expect(engine.log.filter((l) => l.startsWith('allocate'))).toHaveLength(1);
    expect(engine.sessions.get('k')!.remotes.map((r) => r?.address)).toEqual([CALLER, SOFTSWITCH]);
  });

  it('with a spare session at hand the first offer is rewritten synchronously; the spare is replaced', async () => {
    const config = configSchema.parse({});
    const engine = fakeEngine();
    const layer = createMediaLayer({ engine, config, spares: 1 });
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.allocated).toBe(1);
    const inv = request('INVITE', 1, callerSdp());
    const v = layer.process(ctx('k', 'external', inv));
    expect(v).toEqual({ ok: true }); // not a promise
    expect(audio(bodyOf(inv)).c).toEqual([INT_RELAY]);
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.allocated).toBe(2);
    const [spareId] = [...engine.sessions.keys()].filter((id) => engine.sessions.get(id)!.remotes[0] === undefined);
    // a spare that times out unused is replaced; a call's session ending reaches the core with the call's key
    const got: string[] = [];
    layer.onEnd((k, r) => got.push(`${k}:${r}`));
    engine.end(spareId!, 'media_timeout');
    await new Promise((r) => setTimeout(r, 5));
    expect(engine.allocated).toBe(3);
    expect(got).toEqual([]);
    const callSession = [...engine.sessions.keys()].find((id) => engine.sessions.get(id)!.remotes[0] !== undefined)!;
    engine.end(callSession, 'media_timeout');
    expect(got).toEqual(['k:media_timeout']);
    await layer.close();
  });
});
