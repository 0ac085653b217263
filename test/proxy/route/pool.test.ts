import { Gauge, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPool, type PoolTarget, type Probe } from '../../../src/proxy/route/pool.js';
import { seeded } from './rng.js';

const t = (id: string, priority: number, weight: number): PoolTarget => ({
  id,
  host: `${id}.internal`,
  transport: 'udp',
  priority,
  weight,
});

function counts(pick: () => PoolTarget | undefined, n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = pick()?.id ?? 'none';
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return m;
}

const alive: Probe = async () => true;

describe('softswitch pool: selection', () => {
  it('uses only the lowest priority group while any of it is up', () => {
    const pool = createPool({ targets: [t('b1', 2, 10), t('a1', 1, 1), t('a2', 1, 1)], probe: alive, random: seeded(1) });
    const c = counts(() => pool.pick(), 1000);
    expect(c.get('b1')).toBeUndefined();
    expect((c.get('a1') ?? 0) + (c.get('a2') ?? 0)).toBe(1000);
    pool.reportFailure('a1');
    pool.reportFailure('a1');
    pool.reportFailure('a2');
    pool.reportFailure('a2');
    expect(pool.pick()?.id).toBe('b1');
  });

  it('splits traffic by weight inside a priority group (RFC 2782)', () => {
    const pool = createPool({
      targets: [t('a', 1, 1), t('b', 1, 3), t('c', 1, 6)],
      probe: alive,
      random: seeded(42),
    });
    const n = 30_000;
    const c = counts(() => pool.pick(), n);
    expect((c.get('a') ?? 0) / n).toBeCloseTo(0.1, 1);
    expect((c.get('b') ?? 0) / n).toBeCloseTo(0.3, 1);
    expect((c.get('c') ?? 0) / n).toBeCloseTo(0.6, 1);
    expect(Math.abs((c.get('c') ?? 0) / n - 0.6)).toBeLessThan(0.02);
  });

  it('gives a weight-0 target only a tiny share, and shares evenly when all weights are 0', () => {
    const standby = createPool({ targets: [t('main', 1, 100), t('spare', 1, 0)], probe: alive, random: seeded(7) });
    expect((counts(() => standby.pick(), 10_000).get('spare') ?? 0) / 10_000).toBeLessThan(0.02);
    const zeros = createPool({ targets: [t('x', 1, 0), t('y', 1, 0)], probe: alive, random: seeded(7) });
    expect((counts(() => zeros.pick(), 10_000).get('x') ?? 0) / 10_000).toBeCloseTo(0.5, 1);
  });

  it('skips excluded targets so a failed INVITE goes to the next one', () => {
    const pool = createPool({ targets: [t('a', 1, 1), t('b', 1, 1), t('c', 2, 1)], probe: alive, random: seeded(3) });
    const tried = new Set<string>();
    const order: string[] = [];
    for (;;) {
      const next = pool.pick(tried);
      if (!next) break;
      tried.add(next.id);
      order.push(next.id);
    }
    expect(order).toHaveLength(3);
    expect(order[2]).toBe('c');
    expect(new Set(order.slice(0, 2))).toEqual(new Set(['a', 'b']));
  });

  it('offers nothing when all are down, unless fallbackWhenAllDown', () => {
    const targets = [t('a', 1, 1)];
    const strict = createPool({ targets, probe: alive, initialUp: false });
    expect(strict.pick()).toBeUndefined();
    const lenient = createPool({ targets, probe: alive, initialUp: false, fallbackWhenAllDown: true });
    expect(lenient.pick()?.id).toBe('a');
    expect(lenient.pick(new Set(['a']))).toBeUndefined();
  });

  it('refuses bad wiring', () => {
    expect(() => createPool({ targets: [t('a', 1, 1), t('a', 2, 1)], probe: alive })).toThrow(/duplicate/);
    expect(() => createPool({ targets: [t('a', 1, -1)], probe: alive })).toThrow(/weight/);
    expect(() => createPool({ targets: [], probe: alive, downAfter: 0 })).toThrow(/downAfter/);
  });
});

describe('softswitch pool: health', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes down after downAfter failed probes, is skipped, and comes back after upAfter successes', async () => {
    let answer = false;
    const changes: [string, boolean][] = [];
    const probe = vi.fn<Probe>(async () => answer);
    const pool = createPool({
      targets: [t('a', 1, 1), t('b', 2, 1)],
      probe,
      intervalMs: 1000,
      downAfter: 3,
      upAfter: 2,
      onChange: (id, up) => changes.push([id, up]),
    });
    pool.start();
    await vi.advanceTimersByTimeAsync(0); // first probe, started by start()
    expect(pool.isUp('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(pool.isUp('a')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000); // third failure
    expect(pool.isUp('a')).toBe(false);
    expect(pool.isUp('b')).toBe(false);
    expect(pool.pick()).toBeUndefined();
    expect(changes).toEqual([['a', false], ['b', false]]);

    answer = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(pool.isUp('a')).toBe(false); // one success of the two needed
    await vi.advanceTimersByTimeAsync(1000);
    expect(pool.isUp('a')).toBe(true);
    expect(pool.pick()?.id).toBe('a');
    expect(changes.slice(2)).toEqual([['a', true], ['b', true]]);
    pool.stop();
  });

  it('counts live traffic: reportFailure takes a target down, a success resets the count', () => {
    const pool = createPool({ targets: [t('a', 1, 1), t('b', 1, 1)], probe: alive, downAfter: 2 });
    pool.reportFailure('a');
    pool.reportSuccess('a');
    pool.reportFailure('a');
    expect(pool.isUp('a')).toBe(true);
    pool.reportFailure('a');
    expect(pool.isUp('a')).toBe(false);
    for (let i = 0; i < 50; i++) expect(pool.pick()?.id).toBe('b');
    pool.reportSuccess('a');
    expect(pool.isUp('a')).toBe(true);
    pool.reportFailure('nobody'); // ignored
    expect(pool.status().map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('starts down with initialUp: false until a probe answers', async () => {
    const pool = createPool({ targets: [t('a', 1, 1)], probe: alive, initialUp: false });
    expect(pool.pick()).toBeUndefined();
    pool.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.pick()?.id).toBe('a');
    pool.stop();
  });

  it('treats a probe timeout, rejection or throw as a failure and aborts the timed-out probe', async () => {
    const signals: AbortSignal[] = [];
    let mode: 'hang' | 'reject' | 'throw' = 'hang';
    const probe: Probe = (_t, signal) => {
      signals.push(signal);
      if (mode === 'throw') throw new Error('boom');
      if (mode === 'reject') return Promise.reject(new Error('transport'));
      // hangs until aborted, as a transaction that never completes
      return new Promise((resolve) => signal.addEventListener('abort', () => resolve(true)));
    };
    const pool = createPool({ targets: [t('a', 1, 1)], probe, intervalMs: 1000, timeoutMs: 200, downAfter: 3 });
    pool.start();
    await vi.advanceTimersByTimeAsync(199);
    expect(pool.status()[0]?.consecutiveFailures).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(signals[0]?.aborted).toBe(true);
    // the aborted probe resolved `true` late; it must not count as a success
    expect(pool.status()[0]).toMatchObject({ consecutiveFailures: 1, consecutiveSuccesses: 0 });
    mode = 'reject';
    await vi.advanceTimersByTimeAsync(1000);
    expect(pool.status()[0]?.consecutiveFailures).toBe(2);
    mode = 'throw';
    await vi.advanceTimersByTimeAsync(1000);
    expect(pool.isUp('a')).toBe(false);
    pool.stop();
  });

  it('never overlaps probes for one target, even when a probe ignores its timeout', async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const release: (() => void)[] = [];
    const probe: Probe = () => {
      calls++;
      active++;
      maxActive = Math.max(maxActive, active);
      return new Promise<boolean>((resolve) => {
        release.push(() => {
          active--;
          resolve(true);
        });
      });
    };
    const pool = createPool({ targets: [t('a', 1, 1)], probe, intervalMs: 100, timeoutMs: 50, downAfter: 2 });
    pool.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(1);
    expect(maxActive).toBe(1);
    // a stuck probe is still a failure on every interval it blocks
    expect(pool.isUp('a')).toBe(false);
    release.shift()!(); // settles long after its timeout: the answer is too late to count
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.isUp('a')).toBe(false);
    await vi.advanceTimersByTimeAsync(60); // the next interval (at 10 050) may probe again
    expect(calls).toBe(2);
    release.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(pool.isUp('a')).toBe(true);
    expect(maxActive).toBe(1);
    pool.stop();
  });

  it('stop() clears every timer, aborts probes in flight and ignores their late results', async () => {
    let resolveLate: ((ok: boolean) => void) | undefined;
    const seen: AbortSignal[] = [];
    const probe: Probe = (_t, signal) => {
      seen.push(signal);
      return new Promise((r) => (resolveLate = r));
    };
    const pool = createPool({ targets: [t('a', 1, 1), t('b', 1, 1)], probe, intervalMs: 1000, downAfter: 1 });
    pool.start();
    pool.start(); // idempotent: no second set of probes
    expect(seen).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(2); // the two timeout deadlines
    pool.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(seen.every((s) => s.aborted)).toBe(true);
    resolveLate!(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(pool.isUp('a')).toBe(true);
    pool.stop(); // idempotent
  });

  it('can be restarted after stop()', async () => {
    const probe = vi.fn<Probe>(async () => true);
    const pool = createPool({ targets: [t('a', 1, 1)], probe, intervalMs: 1000 });
    pool.start();
    await vi.advanceTimersByTimeAsync(0);
    pool.stop();
    pool.start();
    await vi.advanceTimersByTimeAsync(2500);
    expect(probe).toHaveBeenCalledTimes(4); // 1 before stop, then at 0, 1000, 2000
    expect(vi.getTimerCount()).toBe(1);
    pool.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps palisade_upstream_up{target} at 1/0', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'palisade_upstream_up', help: 'up', labelNames: ['target'] as const, registers: [registry] });
    const value = async (id: string) => (await gauge.get()).values.find((v) => v.labels.target === id)?.value;
    const pool = createPool({ targets: [t('a', 1, 1), t('b', 1, 1)], probe: alive, gauge, downAfter: 1 });
    expect(await value('a')).toBe(1);
    expect(await value('b')).toBe(1);
    pool.reportFailure('b');
    expect(await value('b')).toBe(0);
    pool.reportSuccess('b');
    expect(await value('b')).toBe(1);
    const down = createPool({ targets: [t('c', 1, 1)], probe: alive, gauge, initialUp: false });
    expect(down.isUp('c')).toBe(false);
    expect(await value('c')).toBe(0);
  });
});
