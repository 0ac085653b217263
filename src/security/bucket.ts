// Token buckets keyed by source address (the flood filter's arithmetic). A bucket
// holds up to `burst` tokens and refills at `rate` per second; a packet takes one.
// Buckets are plain mutable records so the per-packet path allocates nothing once a
// source has been seen.

export interface Bucket {
  tokens: number;
  /** ms of the last refill */
  last: number;
  rate: number;
  burst: number;
  /** over-rate packets in the current excess window, and when that window began */
  excess: number;
  excessStart: number;
}

/** ban: over the rate, and this packet crossed the ban threshold (reported once per window). */
export const Take = { ok: 0, over: 1, ban: 2 } as const;
export type Take = (typeof Take)[keyof typeof Take];

export interface RateLimits {
  rate: number;
  burst: number;
}

export interface RateTableOptions extends RateLimits {
  /** over-rate packets within banWindowMs that report Take.ban */
  banAfterExcess: number;
  banWindowMs: number;
  maxEntries: number;
  now: () => number;
  /** limits for a source seen for the first time; default rate/burst (lets trunks have their own) */
  limitsFor?: (key: string) => RateLimits | undefined;
}

export interface RateTable {
  take(key: string): Take;
  readonly size: number;
  clear(): void;
}

/** Refills b to time t and takes one token; pure arithmetic, exported for the tests. */
export function takeToken(b: Bucket, t: number): boolean {
  const elapsed = t - b.last;
  if (elapsed > 0) {
    b.tokens = Math.min(b.burst, b.tokens + (elapsed * b.rate) / 1000);
    b.last = t;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  return false;
}

export function createRateTable(o: RateTableOptions): RateTable {
  const buckets = new Map<string, Bucket>();
  let lastSweep = 0;

  // A bucket that has refilled to the brim knows nothing a fresh one would not, so
  // forgetting it loses nothing; that is what keeps the table O(active sources).
  function sweep(t: number): void {
    lastSweep = t;
    for (const [k, b] of buckets) {
      if (b.tokens + ((t - b.last) * b.rate) / 1000 >= b.burst && t - b.excessStart > o.banWindowMs) buckets.delete(k);
    }
  }

  function create(key: string, t: number): Bucket {
    if (buckets.size >= o.maxEntries) {
      // At most one full scan per second: a spoofed-source flood must not make every packet O(n).
      if (t - lastSweep >= 1000) sweep(t);
      if (buckets.size >= o.maxEntries) {
        const oldest = buckets.keys().next();
        if (oldest.done !== true) buckets.delete(oldest.value);
      }
    }
    const l = o.limitsFor?.(key) ?? o;
    const b: Bucket = { tokens: l.burst, last: t, rate: l.rate, burst: l.burst, excess: 0, excessStart: -Infinity };
    buckets.set(key, b);
    return b;
  }

  return {
    take(key) {
      const t = o.now();
      const b = buckets.get(key) ?? create(key, t);
      if (takeToken(b, t)) return Take.ok;
      if (t - b.excessStart > o.banWindowMs) {
        b.excessStart = t;
        b.excess = 0;
      }
      b.excess += 1;
      return b.excess === o.banAfterExcess ? Take.ban : Take.over;
    },
    get size() {
      return buckets.size;
    },
    clear() {
      buckets.clear();
    },
  };
}
