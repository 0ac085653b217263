// The embedded store: everything in this process's memory. It is the default for a
// single instance and the fallback the Redis store serves from while Redis is away.
// Every table is bounded by expiry (lazy on access, plus a periodic sweep) so memory
// stays O(active entries), never O(everything ever seen).

import type { Ban, MemoryStoreOptions, StartableStore } from './types.js';

export interface MemoryStore extends StartableStore {
  readonly kind: 'memory';
  /** synchronous forms, for the Redis store's mirror: set or replace a ban, firing listeners */
  setBan(ban: Ban): void;
  /** removes a ban, firing listeners; false if there was none */
  deleteBan(address: string): boolean;
  /** sets this instance's count of key (used when resyncing absolute counts) */
  shareCount(key: string): number;
  /** every key with a non-zero local share */
  shareKeys(): string[];
  /** entries held, for tests and metrics */
  sizes(): { bans: number; windows: number; nonces: number; shares: number };
}

interface Expiring {
  n: number;
  expiresAt: number;
}

type BanListener = (address: string, ban: Ban | undefined) => void;

export function createMemoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  const now = opts.now ?? Date.now;
  const maxNonces = opts.maxNonces ?? 100_000;
  const maxWindows = opts.maxWindows ?? 1_000_000;
  const bans = new Map<string, Ban>();
  // Both maps are kept in "touched" order (delete + set on update), so the first entry
  // is the oldest and eviction at the cap is O(1).
  const windows = new Map<string, Expiring>();
  const nonces = new Map<string, Expiring>();
  const shares = new Map<string, number>();
  const listeners: BanListener[] = [];
  let closed = false;

  function emit(address: string, ban: Ban | undefined): void {
    for (const cb of listeners) {
      // One faulty listener must not stop the others nor the caller's packet path.
      try {
        cb(address, ban);
      } catch {
        /* listener errors are the listener's business */
      }
    }
  }

  function setBan(ban: Ban): void {
    bans.set(ban.address, ban);
    emit(ban.address, ban);
  }

  function deleteBan(address: string): boolean {
    if (!bans.delete(address)) return false;
    emit(address, undefined);
    return true;
  }

  function isBanned(address: string, t: number): Ban | undefined {
    const b = bans.get(address);
    if (b === undefined) return undefined;
    if (b.until > t) return b;
    // Lazy expiry: the sweep would get it too, but a lifted ban must not hold a packet.
    deleteBan(address);
    return undefined;
  }

  function sweepExpiring(m: Map<string, Expiring>, t: number): void {
    // Not strictly ordered by expiry (ttls differ), so look at every entry; the sweep
    // runs seconds apart and the tables are bounded.
    for (const [k, e] of m) if (e.expiresAt <= t) m.delete(k);
  }

  function sweep(): void {
    const t = now();
    for (const [a, b] of bans) if (b.until <= t) deleteBan(a);
    sweepExpiring(windows, t);
    sweepExpiring(nonces, t);
  }

  function bounded(m: Map<string, Expiring>, max: number): void {
    while (m.size >= max) {
      const oldest = m.keys().next();
      if (oldest.done === true) return;
      m.delete(oldest.value);
    }
  }

  const timer = setInterval(sweep, opts.sweepIntervalMs ?? 10_000);
  // The sweep is housekeeping: it must never keep the process alive on its own.
  timer.unref();

  return {
    kind: 'memory',
    up: () => true,
    ready: () => Promise.resolve(true),
    setBan,
    deleteBan,

    addBan(ban) {
      setBan(ban);
      return Promise.resolve();
    },
    removeBan(address) {
      return Promise.resolve(deleteBan(address));
    },
    isBanned,
    listBans(t) {
      const out: Ban[] = [];
      for (const b of bans.values()) if (b.until > t) out.push(b);
      return out;
    },
    onBanChange(cb) {
      listeners.push(cb);
    },

    incrWindow(key, ttlMs) {
      const t = now();
      const e = windows.get(key);
      if (e !== undefined && e.expiresAt > t) {
        // The window is fixed at its first increment: later increments do not extend it.
        e.n += 1;
        return Promise.resolve(e.n);
      }
      if (e !== undefined) windows.delete(key);
      bounded(windows, maxWindows);
      windows.set(key, { n: 1, expiresAt: t + ttlMs });
      return Promise.resolve(1);
    },

    addShare(key, delta) {
      const n = (shares.get(key) ?? 0) + delta;
      // A gauge never goes below zero: a stray extra decrement must not hide a real call.
      if (n <= 0) shares.delete(key);
      else shares.set(key, n);
      return Promise.resolve(Math.max(n, 0));
    },
    shareTotal(key) {
      return shares.get(key) ?? 0;
    },
    shareCount(key) {
      return shares.get(key) ?? 0;
    },
    shareKeys() {
      return [...shares.keys()];
    },

    checkNonceCount(nonce, nc, ttlMs) {
      const t = now();
      const e = nonces.get(nonce);
      if (e !== undefined && e.expiresAt > t) {
        if (nc <= e.n) return Promise.resolve(false);
        nonces.delete(nonce);
      } else if (e !== undefined) {
        nonces.delete(nonce);
      }
      bounded(nonces, maxNonces);
      nonces.set(nonce, { n: nc, expiresAt: t + ttlMs });
      return Promise.resolve(true);
    },

    sizes() {
      return { bans: bans.size, windows: windows.size, nonces: nonces.size, shares: shares.size };
    },

    close() {
      if (!closed) {
        closed = true;
        clearInterval(timer);
      }
      return Promise.resolve();
    },
  };
}
