// Bans on top of the Store: the store holds them (and spreads them over the fleet);
// this file adds the policy around them: fixed reason labels for metrics, one log
// line per ban, the active-bans gauge, and a guard so a flood that keeps crossing a
// threshold does not write the same ban over and over.

import type { Ban, Store } from '../state/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import { parseAddress } from './cidr.js';

/** Metric label values for bans this instance makes. */
export type BanReason = 'flood' | 'auth_failures' | 'scanner' | 'malformed' | 'manual';

export interface BanManager {
  /** the hot-path check: one Map look-up in the store's local mirror */
  isBanned(address: string, now: number): boolean;
  /** automatic ban; returns immediately, the store write happens in the background */
  autoBan(address: string, reason: Exclude<BanReason, 'manual'>, ttlMs: number, fields?: { trunk?: string; detail?: string }): void;
  /** manual ban (CLI, admin API); `reason` is free text kept on the ban, the metric says "manual" */
  ban(address: string, reason: string, ttlMs: number): Promise<Ban>;
  unban(address: string): Promise<boolean>;
  list(): Ban[];
  refreshGauge(): void;
}

export interface BanManagerOptions {
  store: Store;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  instance: string;
}

/** The form bans are keyed by, so "2001:DB8::1" and "2001:db8:0::1" are one ban. */
export function canonicalAddress(address: string): string | undefined {
  const a = parseAddress(address);
  if (a === undefined) return undefined;
  if (a.family === 4) return a.bytes.join('.');
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((a.bytes[i]! << 8) | a.bytes[i + 1]!).toString(16));
  // Compress the longest run of zero words (RFC 5952 §4.2).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return words.join(':');
  return `${words.slice(0, bestAt).join(':')}::${words.slice(bestAt + bestLen).join(':')}`;
}

export function createBanManager(o: BanManagerOptions): BanManager {
  const { store, metrics, logger, now } = o;
  // Addresses with an automatic ban in flight: the store mirror may lag the write by a tick.
  const pending = new Map<string, number>();

  function refreshGauge(): void {
    metrics.bansActive.set(store.listBans(now()).length);
  }
  store.onBanChange(() => refreshGauge());

  function write(ban: Ban): Promise<void> {
    return store.addBan(ban).then(
      () => {
        pending.delete(ban.address);
        refreshGauge();
      },
      (err: unknown) => {
        pending.delete(ban.address);
        logger.error({ event: 'ban_store_error', source: ban.address, err: String(err) }, 'could not store ban');
      },
    );
  }

  return {
    isBanned(address, t) {
      if (store.isBanned(address, t) !== undefined) return true;
      if (pending.size === 0) return false;
      const until = pending.get(address);
      return until !== undefined && until > t;
    },

    autoBan(address, reason, ttlMs, fields = {}) {
      const t = now();
      if (pending.has(address) || store.isBanned(address, t) !== undefined) return;
      const ban: Ban = { address, reason, until: t + ttlMs, createdAt: t, origin: o.instance };
      pending.set(address, ban.until);
      metrics.bansTotal.inc({ reason });
      // Every ban gets its line, unsampled: bans are rare by construction (one per source per ttl).
      logger.warn({ event: 'ban', source: address, reason, trunk: fields.trunk, detail: fields.detail, ttlMs }, 'source banned');
      void write(ban);
    },

    async ban(address, reason, ttlMs) {
      const key = canonicalAddress(address);
      if (key === undefined) throw new RangeError(`not an IP address: ${address}`);
      const t = now();
      const ban: Ban = { address: key, reason, until: t + ttlMs, createdAt: t, origin: o.instance };
      metrics.bansTotal.inc({ reason: 'manual' });
      logger.warn({ event: 'ban', source: key, reason: 'manual', detail: reason, ttlMs }, 'source banned');
      await store.addBan(ban);
      refreshGauge();
      return ban;
    },

    async unban(address) {
      const key = canonicalAddress(address) ?? address;
      pending.delete(key);
      const removed = await store.removeBan(key);
      if (removed) logger.warn({ event: 'unban', source: key }, 'ban lifted');
      refreshGauge();
      return removed;
    },

    list() {
      return store.listBans(now());
    },
    refreshGauge,
  };
}
