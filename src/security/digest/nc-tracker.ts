// The embedded replay guard: remembers, per nonce, the highest nonce-count
// accepted, and refuses any nc not above it (RFC 7616 §3.4: the server "SHOULD"
// detect replays by watching nc). The fleet-wide store implements the same
// NcTracker interface later.

import type { NcTracker } from './types.js';

export interface MemoryNcTrackerOptions {
  /** How long an entry lives: at least NonceManager.ttlMs + skewMs, so an entry never dies before its nonce. */
  ttlMs: number;
  /** Hard cap; the oldest entries go first when it is reached. Default 100,000. */
  maxEntries?: number;
  now?: () => number;
}

export interface MemoryNcTracker extends NcTracker {
  checkAndRecord(nonce: string, nc: number): boolean;
  readonly size: number;
}

interface Entry {
  nc: number;
  expiresAt: number;
}

export function createMemoryNcTracker(opts: MemoryNcTrackerOptions): MemoryNcTracker {
  const maxEntries = opts.maxEntries ?? 100_000;
  const now = opts.now ?? Date.now;
  // A Map iterates in insertion order and an entry keeps its place when updated, so the
  // first entry is always the oldest: expiry and eviction are O(1) from the front, no timers.
  const entries = new Map<string, Entry>();

  function sweep(t: number): void {
    for (const [k, e] of entries) {
      if (e.expiresAt > t) break;
      entries.delete(k);
    }
  }

  return {
    get size() {
      return entries.size;
    },
    checkAndRecord(nonce, nc) {
      const t = now();
      sweep(t);
      const e = entries.get(nonce);
      if (e !== undefined) {
        if (nc <= e.nc) return false;
        e.nc = nc;
        return true;
      }
      // Entries are only recorded after a correct response, so only callers who know a
      // password can fill the table; the cap bounds memory even then.
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done !== true) entries.delete(oldest.value);
      }
      // An entry outlives its nonce's validity (it starts when first used, after the nonce was issued),
      // so by the time it is forgotten the nonce itself is refused as stale.
      entries.set(nonce, { nc, expiresAt: t + opts.ttlMs });
      return true;
    },
  };
}
