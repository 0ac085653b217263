// Timer values (RFC 3261 §17.1.1.1, Table 4; RFC 6026 §8.4, §8.7 for L and M) and
// the default clock. Everything derived from T1/T2/T4 is computed once per layer,
// not per transaction.
import type { Clock, TransactionTimers } from './types.js';

export const DEFAULT_TIMERS: Required<TransactionTimers> = { t1: 500, t2: 4000, t4: 5000, timerC: 180_000 };

/** Timer D: "> 32 s for UDP"; a T1 larger than the default stretches it with B. */
const TIMER_D_MIN = 32_000;

/** Resolved durations in ms; the *Udp values apply to unreliable transports only. */
export interface Durations {
  readonly t1: number;
  readonly t2: number;
  /** B, F, H, L, M, J on UDP, and the §9.1 CANCEL guard: all 64*T1 */
  readonly t1x64: number;
  readonly c: number;
  readonly dUdp: number;
  /** I and K on UDP */
  readonly t4: number;
}

export function resolveTimers(partial: Partial<TransactionTimers> = {}): Durations {
  const t = { ...DEFAULT_TIMERS, ...dropUndefined(partial) };
  for (const name of ['t1', 't2', 't4'] as const) {
    if (!Number.isFinite(t[name]) || t[name] <= 0) throw new RangeError(`transaction timer ${name} must be > 0, got ${t[name]}`);
  }
  if (!Number.isFinite(t.timerC) || t.timerC < 0) throw new RangeError(`timerC must be >= 0, got ${t.timerC}`);
  if (t.t2 < t.t1) throw new RangeError(`t2 (${t.t2}) must not be below t1 (${t.t1})`);
  return {
    t1: t.t1,
    t2: t.t2,
    t1x64: 64 * t.t1,
    c: t.timerC,
    dUdp: Math.max(TIMER_D_MIN, 64 * t.t1),
    t4: t.t4,
  };
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * Node's timers, looked up at call time (not captured at import) so fake timers
 * installed by a test after import still take effect.
 */
export const systemClock: Clock = {
  setTimeout: (fn, ms, arg) => setTimeout(fn, ms, arg),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
