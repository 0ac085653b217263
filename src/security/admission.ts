// Call admission for new INVITEs: the overload guard, a global concurrent-call cap
// for this instance, and per-trunk calls-per-second and concurrent calls held in the
// Store so the limits hold across the fleet. Counting is increment-then-compare, so
// two INVITEs racing for the last slot cannot both win.

import type { Store } from '../state/types.js';
import type { Metrics } from '../observability/metrics.js';
import { reject, type Reject } from './types.js';

export interface AdmissionOptions {
  store: Store;
  metrics: Metrics;
  /** most concurrent calls on this instance; 0 = no limit */
  maxCalls: number;
  /** ms; 0 = guard off */
  maxLagMs: number;
  retryAfterS: number;
  lag: () => number;
}

export interface TrunkLimits {
  maxCalls?: number | undefined;
  cps?: number | undefined;
}

export interface Admission {
  /** cheap, synchronous: the overload guard and the instance cap */
  precheck(): Reject | undefined;
  /** takes a call slot for the trunk, or says why not */
  admit(trunk: string | undefined, limits: TrunkLimits | undefined): Promise<{ release: () => void } | Reject>;
  /** releases one call of the trunk taken by admit (for cores that track trunk ids, not closures) */
  callEnded(trunk: string | undefined): void;
  /** calls this instance holds */
  readonly active: number;
}

const KEY = (trunk: string): string => `calls:${trunk}`;
const CPS_KEY = (trunk: string): string => `cps:${trunk}`;

export function createAdmission(o: AdmissionOptions): Admission {
  let overloaded = reject(503, 'overload', [['Retry-After', String(o.retryAfterS)]]);
  // No Retry-After on capacity refusals: RFC 3261 §21.5.4 makes upstream proxies treat
  // the whole server as down for that long, which one full trunk does not justify.
  const globalFull = reject(503, 'global_calls');
  const trunkFull = reject(503, 'trunk_calls');
  const trunkCps = reject(503, 'trunk_cps');
  const storeDown = reject(503, 'store_unavailable');
  let active = 0;
  // Calls this instance holds per trunk; a release never takes more than was admitted here.
  const held = new Map<string, number>();

  function gauge(trunk: string, total: number): void {
    o.metrics.trunkCallsActive.set({ trunk }, Number.isFinite(total) ? total : o.store.shareTotal(KEY(trunk)));
  }

  function end(trunk: string | undefined): void {
    if (active > 0) active--;
    if (trunk === undefined) return;
    const n = held.get(trunk) ?? 0;
    if (n <= 0) return;
    if (n === 1) held.delete(trunk);
    else held.set(trunk, n - 1);
    o.store.addShare(KEY(trunk), -1).then(
      (total) => gauge(trunk, total),
      () => undefined, // the store re-syncs its shares; a lost decrement heals there
    );
  }

  return {
    get active() {
      return active;
    },
    precheck() {
      if (o.maxLagMs > 0 && o.lag() > o.maxLagMs) {
        // Rebuilt only if a reload changed Retry-After: the shedding path stays allocation-free.
        if (overloaded.headers?.[0]?.[1] !== String(o.retryAfterS)) overloaded = reject(503, 'overload', [['Retry-After', String(o.retryAfterS)]]);
        return overloaded;
      }
      if (o.maxCalls > 0 && active >= o.maxCalls) return globalFull;
      return undefined;
    },
    async admit(trunk, limits) {
      if (trunk !== undefined && limits?.cps !== undefined) {
        // A fixed one-second window per trunk, fleet-wide.
        let n: number;
        try {
          n = await o.store.incrWindow(CPS_KEY(trunk), 1000);
        } catch {
          n = 0; // the store falls back to local state itself; a throw here means "unknown": admit
        }
        if (n > limits.cps) return trunkCps;
      }
      // Re-check after the await: other INVITEs may have taken the last instance slot meanwhile.
      if (o.maxCalls > 0 && active >= o.maxCalls) return globalFull;
      active++;
      let counted = false;
      if (trunk !== undefined) {
        let total: number;
        try {
          total = await o.store.addShare(KEY(trunk), 1);
        } catch {
          active--;
          return storeDown;
        }
        held.set(trunk, (held.get(trunk) ?? 0) + 1);
        counted = true;
        // Infinity from a fail-closed store that cannot see the fleet: refuse.
        if (limits?.maxCalls !== undefined && total > limits.maxCalls) {
          end(trunk);
          return Number.isFinite(total) ? trunkFull : storeDown;
        }
        gauge(trunk, total);
      }
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          end(counted ? trunk : undefined);
        },
      };
    },
    callEnded(trunk) {
      end(trunk);
    },
  };
}
