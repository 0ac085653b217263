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

describe('SRTP ⇄ SRTP (re-keyed at the relay)', () => {
  // Each packet is unprotected into the worker's shared unprotect buffer and
  // protected from there into its shared protect buffer, with the two legs'
  // contexts taking turns within one batch.
  it.each([
    ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'],
    ['AES_CM_128_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_80'],
  ] as [SrtpSuite, SrtpSuite][])('%s on one leg, %s on the other, both ways, payload intact', async (sa, sb) => {
    const id = `srtp2-${sa}-${sb}`;
    const aKeys = { rx: key(sa), tx: key(sa) };
    const bKeys = { rx: key(sb), tx: key(sb) };
    const a = await peer();
    const b = await peer();
    const r = await engine.allocate({ id, legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    expect((await engine.update(id, 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: true, srtp: aKeys })).ok).toBe(true);
    expect((await engine.update(id, 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: true, srtp: bKeys })).ok).toBe(true);
    const aSend = ctx(aKeys.rx);
    const aRecv = ctx(aKeys.tx);
    const bSend = ctx(bKeys.rx);
    const bRecv = ctx(bKeys.tx);
    const open = (c: SrtpContext, p: Buffer): Buffer => {
      const u = c.unprotectRtp(p);
      if (!u.ok) throw new Error(u.reason);
      return Buffer.from(u.packet);
    };

    // interleaved both ways, so each batch mixes the two directions' contexts
    const ab = Array.from({ length: 20 }, (_, i) => rtpPacket(i, 0x01010101, i));
    const ba = Array.from({ length: 20 }, (_, i) => rtpPacket(500 + i, 0x02020202, 0x80 + i));
    for (let i = 0; i < 20; i++) {
      a.socket.send(protect(aSend, ab[i]!), r.value[0].rtpPort, '127.0.0.1');
      b.socket.send(protect(bSend, ba[i]!), r.value[1].rtpPort, '127.0.0.1');
    }
    await b.waitFor(20);
    await a.waitFor(20);
    expect(b.received.map((p) => open(bRecv, p).equals(ab[b.received.indexOf(p)]!))).toEqual(Array(20).fill(true));
    expect(a.received.map((p) => open(aRecv, p).equals(ba[a.received.indexOf(p)]!))).toEqual(Array(20).fill(true));
    const s = await engine.delete(id);
    expect(s.ok && s.value.legs[0].drops.srtp_auth + s.value.legs[1].drops.srtp_auth).toBe(0);
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
