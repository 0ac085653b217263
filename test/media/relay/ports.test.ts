// Port pairs come back whatever ends a session: delete, timeout, worker crash.
// Exhaustion is an error value; a port another process holds is skipped.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaEndEvent } from '../../../src/media/engine.js';
import { createRelayEngine, type RelayEngine, type RelayEngineOptions } from '../../../src/media/relay/index.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import { peer, portWindow, rtpPacket, sleep } from './helpers.js';

const legs = [{ realm: 'external' }, { realm: 'internal' }] as const;
let engine: RelayEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
async function start(o: RelayEngineOptions): Promise<RelayEngine> {
  engine = await createRelayEngine(o);
  return engine;
}
function ended(e: RelayEngine): MediaEndEvent[] {
  const list: MediaEndEvent[] = [];
  e.onEnd((ev) => list.push(ev));
  return list;
}
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > ms) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('port pairs', () => {
  it('port exhaustion returns an error, not a crash, and frees nothing it did not take', async () => {
    const e = await start({ ...portWindow(8), workers: 2 });
    expect(e.portsTotal()).toBe(8);
    expect((await e.allocate({ id: 'x1', legs })).ok).toBe(true);
    expect((await e.allocate({ id: 'x2', legs })).ok).toBe(true);
    expect(e.portsFree()).toBe(0);
    expect(await e.allocate({ id: 'x3', legs })).toMatchObject({ ok: false, error: { code: 'ports_exhausted' } });
    expect(e.sessionCount()).toBe(2);
    await e.delete('x1');
    expect(e.portsFree()).toBe(4);
    expect((await e.allocate({ id: 'x3', legs })).ok).toBe(true);
  });

  it('skips a pair another process holds', async () => {
    const w = portWindow(6);
    const squatter = createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(w.portMin + 1, '127.0.0.1', r)); // the first pair's RTCP port
    try {
      const e = await start({ ...w, workers: 1 });
      const r = await e.allocate({ id: 'sq', legs });
      expect(r.ok && r.value.map((l) => l.rtpPort)).toEqual([w.portMin + 2, w.portMin + 4]);
      expect(await e.allocate({ id: 'sq2', legs })).toMatchObject({ ok: false, error: { code: 'ports_exhausted' } });
      // The squatted pair is still ours to retry later, so it counts as free.
      expect(e.portsFree()).toBe(2);
    } finally {
      squatter.close();
    }
  });

  it('no leak after 500 allocate/delete cycles, sequential and concurrent', async () => {
    const metrics = createMetrics({ version: 'test', defaultMetrics: false });
    const e = await start({ ...portWindow(40), workers: 2, metrics });
    const total = e.portsTotal();
    for (let i = 0; i < 250; i++) {
      const r = await e.allocate({ id: `c${i}`, legs });
      expect(r.ok).toBe(true);
      expect((await e.delete(`c${i}`)).ok).toBe(true);
    }
    // 10 concurrent sessions (all 40 ports) at a time, 25 rounds
    for (let round = 0; round < 25; round++) {
      const ids = Array.from({ length: 10 }, (_, k) => `r${round}-${k}`);
      const rs = await Promise.all(ids.map((id) => e.allocate({ id, legs })));
      expect(rs.every((r) => r.ok)).toBe(true);
      expect(e.portsFree()).toBe(0);
      await Promise.all(ids.map((id) => e.delete(id)));
    }
    expect(e.portsFree()).toBe(total);
    expect(e.sessionCount()).toBe(0);
    expect(await metrics.registry.getSingleMetricAsString('palisade_media_ports_free')).toContain(`palisade_media_ports_free ${total}`);
    expect(await metrics.registry.getSingleMetricAsString('palisade_media_sessions_active')).toContain('palisade_media_sessions_active 0');
  });
});

describe('media timeout', () => {
  it('a silent session ends with media_timeout and frees its ports', async () => {
    const e = await start({ ...portWindow(12), workers: 1, timeoutMs: 150, tickMs: 25 });
    const events = ended(e);
    const total = e.portsTotal();
    for (let i = 0; i < 3; i++) expect((await e.allocate({ id: `t${i}`, legs })).ok).toBe(true);
    expect(e.portsFree()).toBe(0);
    await until(() => events.length === 3);
    expect(events.map((ev) => ev.reason)).toEqual(['media_timeout', 'media_timeout', 'media_timeout']);
    expect(events[0]!.stats?.legs[0].received.packets).toBe(0);
    expect(e.portsFree()).toBe(total);
    expect(e.sessionCount()).toBe(0);
    expect(await e.delete('t0')).toMatchObject({ ok: false, error: { code: 'unknown_session' } });
  });

  it('packets keep a session alive; on hold the longer timeout applies', async () => {
    const e = await start({ ...portWindow(12), workers: 1, timeoutMs: 150, holdTimeoutMs: 500, tickMs: 25 });
    const events = ended(e);
    const a = await peer();
    const b = await peer();
    const r = await e.allocate({ id: 'live', legs });
    if (!r.ok) throw new Error(r.error.message);
    await e.update('live', 0, { address: '127.0.0.1', rtpPort: a.port, rtcpMux: false });
    await e.update('live', 1, { address: '127.0.0.1', rtpPort: b.port, rtcpMux: false });
    for (let i = 0; i < 15; i++) {
      await a.send(rtpPacket(i), r.value[0].rtpPort);
      await sleep(20);
    }
    expect(events).toHaveLength(0);
    await e.direction('live', 0, 'sendonly');
    await sleep(300);
    expect(events).toHaveLength(0);
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ sessionId: 'live', reason: 'hold_timeout' });
    expect(events[0]!.stats?.legs[0].received.packets).toBe(15);
    expect(e.portsFree()).toBe(e.portsTotal());
    a.close();
    b.close();
  });
});

describe('worker crash', () => {
  it('sessions on the dead worker end with engine_failure; its ports come back', async () => {
    const e = await start({ ...portWindow(16), workers: 2 });
    const events = ended(e);
    for (let i = 0; i < 4; i++) expect((await e.allocate({ id: `k${i}`, legs })).ok).toBe(true);
    const onZero = ['k0', 'k1', 'k2', 'k3'].filter((id) => e.workerOf(id) === 0);
    expect(onZero.length).toBeGreaterThan(0);
    await e.crashWorker(0);
    expect(events.map((ev) => ev.sessionId).sort()).toEqual(onZero.sort());
    expect(events.every((ev) => ev.reason === 'engine_failure')).toBe(true);
    expect(e.sessionCount()).toBe(4 - onZero.length);
    // All of worker 0's pairs are usable again.
    const again = await Promise.all(onZero.map((_, i) => e.allocate({ id: `n${i}`, legs })));
    expect(again.every((r) => r.ok)).toBe(true);
    expect(e.portsFree()).toBe(0);
  });
});
