// SRTP on one leg, plain RTP on the other (RFC 3711 termination at the relay),
// checked with the SRTP module's own contexts at the test's ends.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SrtpKey, SrtpSuite } from '../../../src/media/engine.js';
import { createRelayEngine, type RelayEngine } from '../../../src/media/relay/index.js';
import { createSrtpContext, suiteByName, type SrtpContext } from '../../../src/media/srtp/index.js';
import { peer, portWindow, rtcpPacket, rtpPacket, sleep } from './helpers.js';

let engine: RelayEngine;
beforeAll(async () => {
  engine = await createRelayEngine({ ...portWindow(40), workers: 1 });
});
afterAll(async () => {
  await engine.close();
});

function key(suite: SrtpSuite): SrtpKey {
  const s = suiteByName(suite)!;
  return { suite, key: randomBytes(s.keyLength + s.saltLength) };
}
function ctx(k: SrtpKey): SrtpContext {
  const s = suiteByName(k.suite)!;
  const b = Buffer.from(k.key);
  return createSrtpContext(s.name, b.subarray(0, s.keyLength), b.subarray(s.keyLength));
}
function protect(c: SrtpContext, p: Buffer, rtcp = false): Buffer {
  const r = rtcp ? c.protectRtcp(p) : c.protectRtp(p);
  if (!r.ok) throw new Error(r.reason);
  return Buffer.from(r.packet);
}

const suites: SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'];

describe.each(suites)('SRTP ⇄ RTP with %s', (suite) => {
  it('unprotects what the SRTP peer sends and protects what it receives, both ways', async () => {
    const id = `srtp-${suite}`;
    const rxKey = key(suite); // the SRTP peer sends with it
    const txKey = key(suite); // the relay sends to the SRTP peer with it
    const a = await peer(); // SRTP side (external)
    const b = await peer(); // plain side (internal)
    const r = await engine.allocate({ id, legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    expect((await engine.update(id, 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: true, srtp: { rx: rxKey, tx: txKey } })).ok).toBe(true);
    expect((await engine.update(id, 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: false })).ok).toBe(true);
    const aSend = ctx(rxKey);
    const aRecv = ctx(txKey);

    const sent = [1, 2, 3].map((i) => rtpPacket(i));
    for (const p of sent) await a.send(protect(aSend, p), r.value[0].rtpPort);
    const atB = await b.waitFor(3);
    expect(atB.map((p, i) => p.equals(sent[i]!))).toEqual([true, true, true]);

    const back = [10, 11].map((i) => rtpPacket(i, 0xabcdef01));
    for (const p of back) await b.send(p, r.value[1].rtpPort);
    await a.waitFor(2);
    const plain = a.received.map((p) => {
      const u = aRecv.unprotectRtp(p);
      if (!u.ok) throw new Error(u.reason);
      return Buffer.from(u.packet);
    });
    expect(plain[0]!.equals(back[0]!)).toBe(true);
    expect(plain[1]!.equals(back[1]!)).toBe(true);

    // SRTCP over the muxed port, forwarded as plain RTCP to b's RTCP port (rtpPort + 1 by default: not b's socket)
    const rr = rtcpPacket();
    await a.send(protect(aSend, rr, true), r.value[0].rtpPort);
    await sleep(30);
    const s = await engine.stats(id);
    expect(s.ok && s.value.legs[0].received.rtcpPackets).toBe(1);
    expect(s.ok && s.value.legs[0].received.packets).toBe(3);
    expect(s.ok && s.value.legs[0].latched).toBe(`127.0.0.1:${a.port}`);
    await engine.delete(id);
    a.close();
    b.close();
  });
});

describe('SRTP validation before latching', () => {
  it('a forged or replayed packet is dropped and counted and latches nothing', async () => {
    const suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80';
    const rxKey = key(suite);
    const a = await peer();
    const forger = await peer(); // same (signaled) address, other port
    const b = await peer();
    const r = await engine.allocate({ id: 'forge', legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    await engine.update('forge', 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: false, srtp: { rx: rxKey, tx: key(suite) } });
    await engine.update('forge', 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: false });
    const aSend = ctx(rxKey);
    const port = r.value[0].rtpPort;

    const good = protect(aSend, rtpPacket(1));
    const forged = Buffer.from(good);
    forged[20]! ^= 0xff;
    await forger.send(forged, port); // fails auth: must not latch the forger
    await forger.send(protect(ctx(key(suite)), rtpPacket(1)), port); // wrong key
    await a.send(good, port); // authenticates: latches a
    await a.send(good, port); // replay
    await b.waitFor(1);
    await sleep(30);
    expect(b.received).toHaveLength(1);
    const s = await engine.delete('forge');
    expect(s.ok && s.value.legs[0].drops).toMatchObject({ srtp_auth: 2, replay: 1, unexpected_source: 0 });
    expect(s.ok && s.value.legs[0].latched).toBe(`127.0.0.1:${a.port}`);
    for (const p of [a, forger, b]) p.close();
  });
});
