// The state that must outlive a process or be shared by a fleet. Hot-path readers
// never wait on it: bans are mirrored into local memory and pushed to every instance;
// counters are best effort when the backing store is away.

export interface Ban {
  /** the banned remote address (IPv4 dotted, IPv6 compressed lower-case) */
  readonly address: string;
  readonly reason: string;
  /** epoch ms */
  readonly until: number;
  readonly createdAt: number;
  /** which instance made it */
  readonly origin: string;
}

export interface Store {
  /** 'memory' or 'redis' */
  readonly kind: string;
  /** true while the backing store answers (always true for memory) */
  up(): boolean;

  // --- bans: local mirror for O(1) checks, pushed fleet-wide
  addBan(ban: Ban): Promise<void>;
  removeBan(address: string): Promise<boolean>;
  /** local mirror, no I/O: one Map look-up per packet */
  isBanned(address: string, now: number): Ban | undefined;
  listBans(now: number): Ban[];
  /** called when a ban made anywhere (including here) arrives or is lifted */
  onBanChange(cb: (address: string, ban: Ban | undefined) => void): void;

  // --- counters with expiry (auth failures in a window, per-trunk CPS)
  /** increments key and returns the new value; the key expires ttlMs after its first increment */
  incrWindow(key: string, ttlMs: number): Promise<number>;

  // --- gauges held by this instance (concurrent calls per trunk), summed over the fleet
  /** adds delta to this instance's share of key and returns the fleet-wide total */
  addShare(key: string, delta: number): Promise<number>;
  /** fleet-wide total as last known (no I/O) */
  shareTotal(key: string): number;

  // --- digest nonce-count replay protection
  /** records nc for nonce; false if nc is not greater than the highest seen (a replay) */
  checkNonceCount(nonce: string, nc: number, ttlMs: number): Promise<boolean>;

  close(): Promise<void>;
}

// --- what the implementations need, and what they add

/** The part of a pino logger the store uses; structural so tests can pass a stub. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** A gauge without labels (prom-client's Gauge fits). */
export interface UpGauge {
  set(value: number): void;
}

/**
 * What to do with fleet-wide gauges while the backing store is away.
 * open: count locally and keep admitting; closed: addShare/shareTotal answer Infinity
 * so admission control refuses new calls until the fleet total is known again.
 */
export type FailMode = 'open' | 'closed';

/** A Store that may need time to load fleet state before it is trustworthy. */
export interface StartableStore extends Store {
  /**
   * Resolves true once the first sync with the backing store is done, false if it did not
   * finish within timeoutMs (the store then serves local state and syncs when it can).
   */
  ready(timeoutMs?: number): Promise<boolean>;
}

export interface MemoryStoreOptions {
  /** clock for windows, nonces and the sweep; defaults to Date.now */
  now?: () => number;
  /** how often expired bans, windows and nonces are swept away (default 10 s) */
  sweepIntervalMs?: number;
  /** most nonces remembered; the oldest goes first (default 100,000) */
  maxNonces?: number;
  /** most window counters; the oldest goes first (default 1,000,000) */
  maxWindows?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL of a standalone server (or, with sentinels, its credentials) */
  url?: string;
  sentinels?: HostPort[];
  /** master group name the sentinels watch */
  sentinelName?: string;
  /** seed nodes of a Redis Cluster */
  cluster?: HostPort[];
  /** prefix of every key and channel (default 'palisade:') */
  keyPrefix?: string;
  /** unique per running process: names this instance's share of each gauge */
  instanceId: string;
  logger: StoreLogger;
  metrics?: { storeUp: UpGauge };
  failMode?: FailMode;
  /** a command unanswered for this long fails and the store falls back to local state (default 500) */
  commandTimeoutMs?: number;
  /** connect attempt limit (default 2000) */
  connectTimeoutMs?: number;
  /** a share not refreshed for this long is dropped from the fleet total (default 5000) */
  shareTtlMs?: number;
  /** how often shares are refreshed and totals re-read; also the health probe period (default 500) */
  refreshIntervalMs?: number;
  /** full reload of the fleet's bans, repairing anything pub/sub lost (default 60,000) */
  resyncIntervalMs?: number;
  /** options of the local fallback store */
  local?: MemoryStoreOptions;
}
