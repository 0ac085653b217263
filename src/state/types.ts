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
