// Plain RTP and RTCP relayed both ways, with and without rtcp-mux (RFC 5761).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayEngine, type RelayEngine } from '../../../src/media/relay/index.js';
import { peer, portWindow, rtcpPacket, rtpPacket, type Peer } from './helpers.js';

let engine: RelayEngine;
beforeAll(async () => {
  engine = await createRelayEngine({ ...portWindow(40), workers: 2, tickMs: 50 });
});
afterAll(async () => {
  await engine.close();
});

async function call(id: string, mux: boolean): Promise<{ a: Peer; b: Peer; aRtcp: Peer; bRtcp: Peer; ports: [number, number, number, number] }> {
  const a = await peer();
  const b = await peer();
  const aRtcp = await peer();
  const bRtcp = await peer();
  const r = await engine.allocate({ id, legs: [{ realm: 'external' }, { realm: 'internal' }] });
  if (!r.ok) throw new Error(r.error.message);
  const [l0, l1] = r.value;
  expect(l0.rtpPort % 2).toBe(0);
  expect(l0.rtcpPort).toBe(l0.rtpPort + 1);
  expect((await engine.update(id, 0, { address: '127.0.0.1', rtpPort: a.port, rtcpPort: aRtcp.port, rtcpMux: mux })).ok).toBe(true);
  expect((await engine.update(id, 1, { address: '127.0.0.1', rtpPort: b.port, rtcpPort: bRtcp.port, rtcpMux: mux })).ok).toBe(true);
  return { a, b, aRtcp, bRtcp, ports: [l0.rtpPort, l0.rtcpPort, l1.rtpPort, l1.rtcpPort] };
}

describe('relay forwarding (RFC 3550 RTP through an anchoring relay)', () => {
  it('relays RTP both ways with the payload intact', async () => {
    const { a, b, aRtcp, bRtcp, ports } = await call('fwd-1', false);
    for (let i = 0; i < 5; i++) await a.send(rtpPacket(i), ports[0]);
    const atB = await b.waitFor(5);
    expect(atB.map((p) => p.equals(rtpPacket(atB.indexOf(p))))).toEqual([true, true, true, true, true]);
    for (let i = 0; i < 3; i++) await b.send(rtpPacket(100 + i, 0x55667788), ports[2]);
    const atA = await a.waitFor(3);
    expect(atA[2]!.equals(rtpPacket(102, 0x55667788))).toBe(true);

    // RTCP on the odd ports, to the a=rtcp ports
    await a.send(rtcpPacket(), ports[1]);
    const rtcpAtB = await bRtcp.waitFor(1);
    expect(rtcpAtB[0]!.equals(rtcpPacket())).toBe(true);

    const s = await engine.stats('fwd-1');
    expect(s.ok && s.value.legs[0].received.packets).toBe(5);
    expect(s.ok && s.value.legs[1].sent.packets).toBe(5);
    expect(s.ok && s.value.legs[0].received.rtcpPackets).toBe(1);
    expect(s.ok && s.value.legs[0].latched).toBe(`127.0.0.1:${a.port}`);
    const d = await engine.delete('fwd-1');
    expect(d.ok && d.value.legs[1].received.packets).toBe(3);
    expect(d.ok && d.value.legs[0].quality.lost).toBe(0);
    expect(d.ok && d.value.legs[0].quality.mos).toBeGreaterThan(4);
    expect(d.ok && d.value.legs[1].quality.mos).toBeGreaterThan(4);
    for (const p of [a, b, aRtcp, bRtcp]) p.close();
  });

  it('with rtcp-mux, RTCP shares the RTP port both ways', async () => {
    const { a, b, aRtcp, bRtcp, ports } = await call('mux-1', true);
    await a.send(rtpPacket(1), ports[0]);
    await a.send(rtcpPacket(), ports[0]);
    const atB = await b.waitFor(2);
    expect(atB.some((p) => p.equals(rtcpPacket()))).toBe(true);
    expect(bRtcp.received).toHaveLength(0);
    await b.send(rtcpPacket(0x99), ports[2]);
    await a.waitFor(1);
    expect(a.received[0]!.equals(rtcpPacket(0x99))).toBe(true);
    const s = await engine.delete('mux-1');
    expect(s.ok && s.value.legs[0].received).toEqual({ packets: 1, bytes: 172, rtcpPackets: 1 });
    expect(aRtcp.received).toHaveLength(0);
    for (const p of [a, b, aRtcp, bRtcp]) p.close();
  });

  it('drops packets of a leg whose far end is not yet known (no_session)', async () => {
    const a = await peer();
    const r = await engine.allocate({ id: 'early', legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    await a.send(rtpPacket(1), r.value[0].rtpPort);
    await engine.update('early', 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: false });
    await a.send(rtpPacket(2), r.value[0].rtpPort); // leg 1 still unknown
    await new Promise((res) => setTimeout(res, 50));
    const s = await engine.delete('early');
    expect(s.ok && s.value.legs[0].drops.no_session).toBe(2);
    a.close();
  });

  it('refuses bad input as values', async () => {
    expect(await engine.update('nope', 0, { address: '127.0.0.1', rtpPort: 4000, rtcpMux: false })).toMatchObject({ ok: false, error: { code: 'unknown_session' } });
    const r = await engine.allocate({ id: 'bad', legs: [{ realm: 'external' }, { realm: 'internal' }] });
    expect(r.ok).toBe(true);
    expect(await engine.allocate({ id: 'bad', legs: [{ realm: 'external' }, { realm: 'internal' }] })).toMatchObject({ ok: false, error: { code: 'duplicate_session' } });
    expect(await engine.update('bad', 0, { address: 'example.com', rtpPort: 4000, rtcpMux: false })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await engine.update('bad', 0, { address: '::1', rtpPort: 4000, rtcpMux: false })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await engine.update('bad', 0, { address: '127.0.0.1', rtpPort: 70000, rtcpMux: false })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await engine.update('bad', 0, { address: '127.0.0.1', rtpPort: 4000, rtcpMux: false, srtp: { rx: { suite: 'AES_CM_128_HMAC_SHA1_80', key: new Uint8Array(5) }, tx: { suite: 'AES_CM_128_HMAC_SHA1_80', key: new Uint8Array(30) } } })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect((await engine.delete('bad')).ok).toBe(true);
    expect(await engine.delete('bad')).toMatchObject({ ok: false, error: { code: 'unknown_session' } });
  });
});
