// The fleet store on Redis (standalone, Sentinel or Cluster). The packet path never
// waits on Redis: bans live in a local mirror fed by pub/sub, share totals are cached
// and refreshed in the background, and every awaited command is bounded by a short
// timeout after which the store answers from local state. When Redis comes back the
// store pushes what it did alone, reloads what the fleet did, and reports up again.

import { Redis, Cluster, type RedisOptions } from 'ioredis';
import { createMemoryStore } from './memory.js';
import { BAN_ADD, BAN_REMOVE, CHECK_NONCE, INCR_WINDOW, SHARE, runScript, type Script } from './redis-scripts.js';
import type { Ban, RedisStoreOptions, StartableStore } from './types.js';

export interface RedisStore extends StartableStore {
  readonly kind: 'redis';
  /** pushes local changes, reloads the fleet's bans and shares; rejects if Redis fails meanwhile */
  resync(): Promise<void>;
}

type Client = Redis | Cluster;

type BanEvent = { from: string; op: 'add'; ban: Ban } | { from: string; op: 'remove'; address: string };

/** Keys watched for the fleet total; beyond it shares still count but are not re-read in the background. */
const MAX_KNOWN_SHARE_KEYS = 10_000;

/** Reply errors that mean "this server cannot serve now", not "this command is wrong". */
const OUTAGE_REPLY = /^(CLUSTERDOWN|LOADING|MASTERDOWN|READONLY|TRYAGAIN|BUSY)\b/;

export function createRedisStore(opts: RedisStoreOptions): RedisStore {
  const prefix = opts.keyPrefix ?? 'palisade:';
  const log = opts.logger;
  const failMode = opts.failMode ?? 'open';
  const shareTtlMs = opts.shareTtlMs ?? 5000;
  const refreshMs = opts.refreshIntervalMs ?? 500;
  const now = opts.local?.now ?? Date.now;
  const banKey = `${prefix}bans`;
  const channel = `${prefix}bans`;
  const epochKey = `${prefix}epoch`;
  let epoch: string | undefined;
  const local = createMemoryStore(opts.local);

  const { cmd, sub } = connect(opts);

  let healthy = false;
  let reported: 'up' | 'down' | undefined;
  let closed = false;
  let resyncing: Promise<void> | undefined;
  let refreshing = false;
  // Changes made here while Redis could not take them: address → ban, or null for a removal.
  const pending = new Map<string, Ban | null>();
  // Addresses changed by an event while a resync's snapshot was in flight: the event is newer.
  const touched = new Set<string>();
  let loading = false;
  const totals = new Map<string, number>();
  const known = new Set<string>();
  let firstSync: () => void = () => {};
  const synced = new Promise<void>((resolve) => (firstSync = resolve));

  opts.metrics?.storeUp.set(0);

  function setUp(): void {
    healthy = true;
    opts.metrics?.storeUp.set(1);
    if (reported !== 'up') log.info({ store: 'redis' }, 'state store: redis up, fleet state in sync');
    reported = 'up';
  }

  function setDown(reason: string): void {
    healthy = false;
    opts.metrics?.storeUp.set(0);
    // Once per transition: an outage must not turn every packet into a log line.
    if (reported !== 'down' && !closed) log.warn({ store: 'redis', reason, failMode }, 'state store: redis unreachable, serving local state');
    reported = 'down';
  }

  /** Classifies a failed command: outages flip the store down, anything else is a bug to log. */
  function failed(op: string, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (e.name === 'ReplyError' && !OUTAGE_REPLY.test(e.message)) {
      log.error({ store: 'redis', op, err: e.message }, 'state store: redis refused a command');
      return;
    }
    setDown(`${op}: ${e.message}`);
  }

  function run(s: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(cmd, s, keys, args);
  }

  // --- bans

  function applyEvent(raw: string): void {
    const ev = parseEvent(raw);
    // Our own events were applied when made; a malformed one is ignored, not fatal.
    if (ev === undefined || ev.from === opts.instanceId) return;
    if (ev.op === 'add') {
      if (loading) touched.add(ev.ban.address);
      if (ev.ban.until > now()) local.setBan(ev.ban);
      else local.deleteBan(ev.ban.address);
    } else {
      if (loading) touched.add(ev.address);
      local.deleteBan(ev.address);
    }
  }

  async function pushBan(address: string, ban: Ban | null): Promise<boolean> {
    if (ban !== null) {
      const ev: BanEvent = { from: opts.instanceId, op: 'add', ban };
      await run(BAN_ADD, [banKey], [address, JSON.stringify(ban), channel, JSON.stringify(ev)]);
      return true;
    }
    const ev: BanEvent = { from: opts.instanceId, op: 'remove', address };
    return (await run(BAN_REMOVE, [banKey], [address, channel, JSON.stringify(ev)])) === 1;
  }

  /** Writes through to Redis when it is up; otherwise (or if that fails) queues for the resync. */
  async function share(address: string, ban: Ban | null): Promise<void> {
    if (!healthy) {
      pending.set(address, ban);
      return;
    }
    try {
      await pushBan(address, ban);
      pending.delete(address);
    } catch (err) {
      failed(ban === null ? 'removeBan' : 'addBan', err);
      pending.set(address, ban);
    }
  }

  async function loadBans(): Promise<void> {
    touched.clear();
    loading = true;
    let all: Record<string, string>;
    try {
      all = await cmd.hgetall(banKey);
    } finally {
      loading = false;
    }
    const t = now();
    const fleet = new Set<string>();
    const stale: string[] = [];
    for (const [address, json] of Object.entries(all)) {
      const ban = parseBan(json);
      if (ban === undefined || ban.until <= t || ban.address !== address) {
        stale.push(address);
        continue;
      }
      fleet.add(address);
      if (touched.has(address) || pending.has(address)) continue;
      const mine = local.isBanned(address, t);
      if (mine === undefined || mine.until !== ban.until || mine.reason !== ban.reason || mine.origin !== ban.origin) local.setBan(ban);
    }
    // A ban the fleet no longer holds was lifted (or expired) while we were not listening.
    for (const b of local.listBans(t)) {
      if (!fleet.has(b.address) && !touched.has(b.address) && !pending.has(b.address)) local.deleteBan(b.address);
    }
    touched.clear();
    // Hash fields do not expire on their own; whoever loads the list prunes it.
    if (stale.length > 0) await cmd.hdel(banKey, ...stale);
  }

  // --- shares

  function downShare(count: number): number {
    return failMode === 'closed' ? Number.POSITIVE_INFINITY : count;
  }

  async function publishShare(key: string): Promise<number> {
    const total = Number(await run(SHARE, [`${prefix}share:${key}`], [opts.instanceId, local.shareCount(key), shareTtlMs]));
    totals.set(key, total);
    return total;
  }

  function watch(key: string): void {
    if (known.size < MAX_KNOWN_SHARE_KEYS) known.add(key);
  }

  async function refreshShares(): Promise<void> {
    const keys = [...known];
    // Sent together; ioredis writes them back to back, so this is one round trip per node.
    const results = await Promise.all(keys.map((k) => publishShare(k)));
    keys.forEach((k, i) => {
      // Nothing of ours and nothing in the fleet: stop watching until someone asks again.
      if (results[i] === 0 && local.shareCount(k) === 0) {
        known.delete(k);
        totals.delete(k);
      }
    });
  }

  // --- health and resync

  /**
   * True when the server's data set is not the one we last synced with: it restarted
   * without persistence, or a failover promoted a replica that had not caught up. The
   * epoch key is created by whichever instance first finds it missing.
   */
  async function dataLost(): Promise<boolean> {
    let cur = await cmd.get(epochKey);
    if (cur === null) {
      await cmd.set(epochKey, `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`, 'NX');
      cur = await cmd.get(epochKey);
    }
    const lost = epoch !== undefined && cur !== epoch;
    epoch = cur ?? undefined;
    return lost;
  }

  async function flushPending(): Promise<void> {
    for (const [address, ban] of [...pending]) {
      await pushBan(address, ban);
      // Only forget it if no newer change for that address arrived meanwhile.
      if (pending.get(address) === ban) pending.delete(address);
    }
  }

  async function doResync(): Promise<void> {
    if (await dataLost()) {
      // The fleet's list is gone, not emptied by anyone: every instance puts back what it
      // holds instead of reading the empty list as "all bans lifted".
      log.warn({ store: 'redis' }, 'state store: redis lost its data, restoring bans from this instance');
      const t = now();
      for (const b of local.listBans(t)) if (!pending.has(b.address)) pending.set(b.address, b);
    }
    await flushPending();
    await loadBans();
    for (const k of local.shareKeys()) watch(k);
    await refreshShares();
    // Changes made here while the resync ran were queued (the store was not up yet).
    await flushPending();
  }

  let again = false;

  function resync(): Promise<void> {
    if (closed) return Promise.resolve();
    if (resyncing !== undefined) {
      // One at a time, but a request made during a resync may carry news (the subscriber
      // just came back): run once more after it rather than merging into it.
      again = true;
      return resyncing;
    }
    resyncing = doResync()
      .then(() => {
        if (!closed) setUp();
        firstSync();
      })
      .catch((err: unknown) => {
        failed('resync', err);
        throw err;
      })
      .finally(() => {
        resyncing = undefined;
        if (again && !closed) {
          again = false;
          resyncQuietly();
        }
      });
    return resyncing;
  }

  function resyncQuietly(): void {
    resync().catch(() => {
      /* already logged and marked down; the next tick or reconnect tries again */
    });
  }

  async function tick(): Promise<void> {
    if (refreshing || closed) return;
    refreshing = true;
    try {
      if (!healthy) {
        // The connection may be open while the server was stalled (commands timed out):
        // a PING that answers means it is back.
        if (cmd.status === 'ready' && resyncing === undefined) {
          await cmd.ping();
          await resync();
        }
        return;
      }
      await refreshShares();
    } catch (err) {
      failed('refresh', err);
    } finally {
      refreshing = false;
    }
  }

  const refreshTimer = setInterval(() => void tick(), refreshMs);
  refreshTimer.unref();
  // Anti-entropy: pub/sub is at-most-once, so a periodic full reload repairs anything lost.
  const resyncTimer = setInterval(() => {
    if (healthy) resyncQuietly();
  }, opts.resyncIntervalMs ?? 60_000);
  resyncTimer.unref();

  cmd.on('ready', resyncQuietly);
  // The subscriber reconnects on its own; events published while it was away are only in
  // the hash, so reload once it listens again (after SUBSCRIBE is confirmed, not merely
  // connected, or an event could slip between the reload and the subscription).
  sub.on('ready', () => {
    sub
      .subscribe(channel)
      .then(() => {
        if (cmd.status === 'ready') resyncQuietly();
      })
      .catch((err: unknown) => failed('subscribe', err));
  });
  for (const ev of ['close', 'end', 'reconnecting'] as const) cmd.on(ev, () => setDown(`connection ${ev}`));
  // ioredis emits 'error' for every failed connect; without a listener Node would throw.
  cmd.on('error', (err: Error) => {
    if (healthy) failed('connection', err);
  });
  sub.on('error', () => {
    /* the subscriber's state follows the command connection's; errors are reported there */
  });
  sub.on('message', (ch: string, msg: string) => {
    if (ch === channel) applyEvent(msg);
  });

  return {
    kind: 'redis',
    up: () => healthy,
    resync,

    async ready(timeoutMs = 5000) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      try {
        return await Promise.race([synced.then(() => true), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },

    async addBan(ban) {
      // Local first: this instance enforces it from the next packet whatever Redis does.
      local.setBan(ban);
      await share(ban.address, ban);
    },
    async removeBan(address) {
      const had = local.deleteBan(address);
      if (!healthy) {
        pending.set(address, null);
        return had;
      }
      try {
        const inFleet = await pushBan(address, null);
        pending.delete(address);
        return had || inFleet;
      } catch (err) {
        failed('removeBan', err);
        pending.set(address, null);
        return had;
      }
    },
    isBanned: (address, t) => local.isBanned(address, t),
    listBans: (t) => local.listBans(t),
    onBanChange: (cb) => local.onBanChange(cb),

    async incrWindow(key, ttlMs) {
      if (healthy) {
        try {
          return Number(await run(INCR_WINDOW, [`${prefix}win:${key}`], [ttlMs]));
        } catch (err) {
          failed('incrWindow', err);
        }
      }
      // Fleet counters are out of reach: count what this instance sees, so a flood at it
      // is still limited.
      return local.incrWindow(key, ttlMs);
    },

    async addShare(key, delta) {
      // The local count is this instance's truth; Redis holds a copy of it per instance.
      const count = await local.addShare(key, delta);
      watch(key);
      if (!healthy) return downShare(count);
      try {
        return await publishShare(key);
      } catch (err) {
        failed('addShare', err);
        return downShare(count);
      }
    },
    shareTotal(key) {
      watch(key);
      if (!healthy) return downShare(local.shareCount(key));
      return totals.get(key) ?? local.shareCount(key);
    },

    async checkNonceCount(nonce, nc, ttlMs) {
      // Recorded locally too, so during an outage a replay of a nonce this instance
      // has seen is still refused.
      const locallyFresh = await local.checkNonceCount(nonce, nc, ttlMs);
      if (healthy) {
        try {
          return (await run(CHECK_NONCE, [`${prefix}nc:${nonce}`], [nc, ttlMs])) === 1 && locallyFresh;
        } catch (err) {
          failed('checkNonceCount', err);
        }
      }
      return locallyFresh;
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(refreshTimer);
      clearInterval(resyncTimer);
      // A clean stop takes this instance's calls with it: withdraw its shares now rather
      // than let them count until their ttl runs out.
      if (healthy) {
        for (const k of local.shareKeys()) {
          await run(SHARE, [`${prefix}share:${k}`], [opts.instanceId, 0, shareTtlMs]).catch(() => undefined);
        }
      }
      healthy = false;
      opts.metrics?.storeUp.set(0);
      await Promise.all([quit(cmd), quit(sub)]);
      await local.close();
    },
  };
}

/** Builds the command connection and the subscriber for the configured topology. */
function connect(opts: RedisStoreOptions): { cmd: Client; sub: Client } {
  const timeouts = {
    commandTimeout: opts.commandTimeoutMs ?? 500,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
  };
  // Commands fail fast instead of queueing: a caller is a packet waiting for an answer.
  const failFast = { ...timeouts, maxRetriesPerRequest: 1, enableOfflineQueue: false };
  // Keep trying to reconnect forever, quickly at first, at most every 2 s.
  const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);
  // The subscriber serves nobody synchronously: let its SUBSCRIBE wait for the connection.
  const patient = { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, autoResubscribe: false };

  if (opts.cluster !== undefined && opts.cluster.length > 0) {
    const cmd = new Cluster(opts.cluster, {
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...failFast, ...credentials(opts.url) },
    });
    const sub = cmd.duplicate(undefined, {
      enableOfflineQueue: true,
      redisOptions: { ...timeouts, ...patient, ...credentials(opts.url) },
    });
    return { cmd, sub };
  }
  const base: RedisOptions =
    opts.sentinels !== undefined && opts.sentinels.length > 0
      ? { sentinels: opts.sentinels, name: opts.sentinelName ?? 'mymaster', ...credentials(opts.url) }
      : urlOptions(opts.url ?? 'redis://127.0.0.1:6379');
  const cmd = new Redis({ ...base, ...failFast, retryStrategy });
  const sub = new Redis({ ...base, ...timeouts, ...patient, retryStrategy });
  return { cmd, sub };
}

/** host, port, credentials, db and TLS from a redis:// or rediss:// URL. */
function urlOptions(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? 6379 : Number(u.port),
    db: Number.isInteger(db) ? db : 0,
    ...credentials(url),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Username and password only: with Sentinel or Cluster the URL carries just those. */
function credentials(url: string | undefined): { username?: string; password?: string } {
  if (url === undefined) return {};
  const u = new URL(url);
  return {
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
  };
}

async function quit(c: Client): Promise<void> {
  // QUIT needs a live connection; otherwise (or if it stalls) just drop the socket.
  if (c.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      c.quit().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(timer);
  }
  c.disconnect();
}

function parseBan(json: unknown): Ban | undefined {
  let v: unknown = json;
  if (typeof json === 'string') {
    try {
      v = JSON.parse(json);
    } catch {
      return undefined;
    }
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.address !== 'string' || typeof o.reason !== 'string' || typeof o.origin !== 'string') return undefined;
  if (typeof o.until !== 'number' || typeof o.createdAt !== 'number') return undefined;
  return { address: o.address, reason: o.reason, until: o.until, createdAt: o.createdAt, origin: o.origin };
}

function parseEvent(raw: string): BanEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.from !== 'string') return undefined;
  if (o.op === 'add') {
    const ban = parseBan(o.ban);
    return ban === undefined ? undefined : { from: o.from, op: 'add', ban };
  }
  if (o.op === 'remove' && typeof o.address === 'string') return { from: o.from, op: 'remove', address: o.address };
  return undefined;
}
