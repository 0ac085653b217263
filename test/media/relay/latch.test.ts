// Symmetric RTP latching: a leg's far end is learned from the first valid
// packet, only from the signaled address unless configured otherwise; every
// other source is dropped and counted (blocks RTP injection and media hijack).
import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.js';
import { createRelayEngine, type RelayEngine } from '../../../src/media/relay/index.js';
import { peer, portWindow, rtpPacket, sleep } from './helpers.js';

const engines: RelayEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
});

describe('latching (signaled address only, the default)', () => {
  it('drops a spoofed source and counts it; forwards only the signaled peer', async () => {
    const metrics = createMetrics({ version: 'test', defaultMetrics: false });
    const e = await createRelayEngine({ ...portWindow(20), workers: 1, tickMs: 20, metrics });
    engines.push(e);
    const a = await peer();
    const b = await peer();
    const spoof = await peer('127.0.0.2'); // another address
    const sidePort = await peer(); // the signaled address, another port
    const r = await e.allocate({ id: 's', legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    await e.update('s', 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: false });
    await e.update('s', 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: false });
    const port = r.value[0].rtpPort;

    await spoof.send(rtpPacket(1, 0xdead), port); // before latching: wrong address
    await a.send(rtpPacket(2), port); // latches a
    await sidePort.send(rtpPacket(3, 0xbeef), port); // right address, but a is latched
    await spoof.send(rtpPacket(4, 0xdead), port);
    await b.waitFor(1);
    await sleep(50);
    expect(b.received).toHaveLength(1);
    expect(b.received[0]!.readUInt32BE(8)).toBe(0x11223344);

    // replies go to the latched source
    await b.send(rtpPacket(9, 0x77), r.value[1].rtpPort);
    await a.waitFor(1);
    expect(sidePort.received).toHaveLength(0);

    const s = await e.stats('s');
    expect(s.ok && s.value.legs[0].drops.unexpected_source).toBe(3);
    expect(s.ok && s.value.legs[0].latched).toBe(`127.0.0.1:${a.port}`);
    await sleep(60); // one tick pushes the counters
    const m = await metrics.registry.getSingleMetricAsString('palisade_media_drops_total');
    expect(m).toContain('palisade_media_drops_total{reason="unexpected_source"} 3');
    const pk = await metrics.registry.getSingleMetricAsString('palisade_media_packets_total');
    expect(pk).toContain('palisade_media_packets_total{direction="in",realm="external"} 1');
    expect(pk).toContain('palisade_media_packets_total{direction="out",realm="internal"} 1');
    await e.delete('s');
    for (const p of [a, b, spoof, sidePort]) p.close();
  });

  it('a re-offer with a new address re-latches', async () => {
    const e = await createRelayEngine({ ...portWindow(20), workers: 1 });
    engines.push(e);
    const a = await peer();
    const a2 = await peer();
    const b = await peer();
    const r = await e.allocate({ id: 'm', legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    await e.update('m', 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: false });
    await e.update('m', 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: false });
    await a.send(rtpPacket(1), r.value[0].rtpPort);
    await b.waitFor(1);
    await e.update('m', 0, { address: '127.0.0.1', rtpPort: a2.port, rtcpMux: false });
    await a2.send(rtpPacket(2), r.value[0].rtpPort);
    await b.waitFor(2);
    const s = await e.delete('m');
    expect(s.ok && s.value.legs[0].latched).toBe(`127.0.0.1:${a2.port}`);
    for (const p of [a, a2, b]) p.close();
  });
});

describe('latching with latching: any (NAT: the SDP shows a private address)', () => {
  it('latches the first source, refuses a second until the first falls silent', async () => {
    const e = await createRelayEngine({ ...portWindow(20), workers: 1, latching: 'any', relatchAfterMs: 200 });
    engines.push(e);
    const a = await peer();
    const other = await peer('127.0.0.3');
    const b = await peer();
    const r = await e.allocate({ id: 'n', legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    // The phone behind NAT put its private address in SDP.
    await e.update('n', 0, { address: '192.168.1.20', rtpPort: 7078, rtcpMux: false });
    await e.update('n', 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: false });
    const port = r.value[0].rtpPort;
    await a.send(rtpPacket(1), port);
    await b.waitFor(1);
    await other.send(rtpPacket(2, 0xbad), port);
    await sleep(30);
    expect(b.received).toHaveLength(1);
    // The answer direction goes to the latched public source, not the private SDP address.
    await b.send(rtpPacket(5, 0x42), r.value[1].rtpPort);
    await a.waitFor(1);
    // After silence, a new source may take over (the NAT binding changed).
    await sleep(250);
    await other.send(rtpPacket(3, 0xbad), port);
    await b.waitFor(2);
    const s = await e.delete('n');
    expect(s.ok && s.value.legs[0].drops.unexpected_source).toBe(1);
    expect(s.ok && s.value.legs[0].latched).toBe(`127.0.0.3:${other.port}`);
    for (const p of [a, other, b]) p.close();
  });
});
