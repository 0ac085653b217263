// The Redis store against a real redis-server: two stores on one server play two
// instances of a fleet (DESIGN.md invariant 5).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { haveTool } from '../helpers/tools.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { createRedisStore, type RedisStore } from '../../src/state/redis.js';
import { runScript, SHARE } from '../../src/state/redis-scripts.js';
import type { Ban, RedisStoreOptions, StoreLogger } from '../../src/state/types.js';

const hasRedis = haveTool('redis-server', 'redis-server');

const COMMAND_TIMEOUT_MS = 200;
const SHARE_TTL_MS = 1000;

interface LogLine {
  level: string;
  msg: string | undefined;
}

function recordingLogger(lines: LogLine[]): StoreLogger {
  const at = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg });
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  while (!(await cond())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}

function ban(address: string, ttlMs = 60_000, origin = 'a'): Ban {
  const now = Date.now();
  return { address, reason: 'auth-failures', until: now + ttlMs, createdAt: now, origin };
}

describe.skipIf(!hasRedis)('redis store (real redis-server)', () => {
  let server: RedisServer;
  const stores: RedisStore[] = [];
  let logs: LogLine[] = [];
  let prefix = '';
  let n = 0;

  function open(instanceId: string, extra: Partial<RedisStoreOptions> = {}): RedisStore {
    const s = createRedisStore({
      url: server.url,
      keyPrefix: prefix,
      instanceId,
      logger: recordingLogger(logs),
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      connectTimeoutMs: 500,
      shareTtlMs: SHARE_TTL_MS,
      refreshIntervalMs: 100,
      ...extra,
    });
    stores.push(s);
    return s;
  }

  async function openReady(instanceId: string, extra: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
    const s = open(instanceId, extra);
    expect(await s.ready(5000)).toBe(true);
    return s;
  }

  beforeAll(async () => {
    server = await startRedis();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    // A fresh prefix per test keeps tests apart on the one server.
    prefix = `t${++n}:`;
    logs = [];
    // An outage test may have left the server stopped or paused.
    server.resume();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('is up once the first sync is done', async () => {
    const a = await openReady('a');
    expect(a.kind).toBe('redis');
    expect(a.up()).toBe(true);
    expect(logs.filter((l) => l.level === 'info')).toHaveLength(1);
  });

  describe('bans', () => {
    it('a ban added on A is banned on B within a second, and its removal propagates', async () => {
      const a = await openReady('a');
      const b = await openReady('b');
      const changes: [string, Ban | undefined][] = [];
      b.onBanChange((addr, x) => changes.push([addr, x]));

      const t0 = performance.now();
      await a.addBan(ban('192.0.2.10'));
      expect(a.isBanned('192.0.2.10', Date.now())).toBeDefined();
      await until(() => b.isBanned('192.0.2.10', Date.now()) !== undefined, 1000, 'ban on B');
      const elapsed = performance.now() - t0;
      expect(elapsed).toBeLessThan(1000);
      expect(b.isBanned('192.0.2.10', Date.now())).toMatchObject({ address: '192.0.2.10', reason: 'auth-failures', origin: 'a' });

      expect(await a.removeBan('192.0.2.10')).toBe(true);
      await until(() => b.isBanned('192.0.2.10', Date.now()) === undefined, 1000, 'lift on B');
      expect(changes.map(([addr, x]) => [addr, x === undefined ? 'lifted' : 'banned'])).toEqual([
        ['192.0.2.10', 'banned'],
        ['192.0.2.10', 'lifted'],
      ]);
      // B can lift a ban A made, too.
      await a.addBan(ban('192.0.2.11'));
      await until(() => b.isBanned('192.0.2.11', Date.now()) !== undefined, 1000, 'second ban on B');
      expect(await b.removeBan('192.0.2.11')).toBe(true);
      await until(() => a.isBanned('192.0.2.11', Date.now()) === undefined, 1000, 'lift on A');
    });

    it('an instance started after the ban loads it at start-up', async () => {
      const a = await openReady('a');
      await a.addBan(ban('2001:db8::7'));
      const b = await openReady('b');
      expect(b.isBanned('2001:db8::7', Date.now())?.origin).toBe('a');
      expect(b.listBans(Date.now())).toHaveLength(1);
    });

    it('expiry holds locally, and expired bans are not loaded but pruned from the fleet list', async () => {
      const a = await openReady('a');
      await a.addBan(ban('192.0.2.20', 150));
      await a.addBan(ban('192.0.2.21', 60_000));
      expect(a.isBanned('192.0.2.20', Date.now() + 200)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 200));
      const b = await openReady('b');
      expect(b.listBans(Date.now()).map((x) => x.address)).toEqual(['192.0.2.21']);
      const raw = new Redis(server.port, '127.0.0.1');
      try {
        expect(Object.keys(await raw.hgetall(`${prefix}bans`))).toEqual(['192.0.2.21']);
      } finally {
        raw.disconnect();
      }
    });
  });

  it('incrWindow is one counter for the fleet, and its window starts at the first increment', async () => {
    const a = await openReady('a');
    const b = await openReady('b');
    expect(await a.incrWindow('auth:192.0.2.1', 400)).toBe(1);
    expect(await b.incrWindow('auth:192.0.2.1', 400)).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(await a.incrWindow('auth:192.0.2.1', 400)).toBe(3);
    // 400 ms after the first increment, not after the last, the window is over.
    await new Promise((r) => setTimeout(r, 250));
    expect(await b.incrWindow('auth:192.0.2.1', 400)).toBe(1);
  });

  describe('shares', () => {
    it('addShare returns the fleet total; shareTotal serves the last known total without I/O', async () => {
      const a = await openReady('a');
      const b = await openReady('b');
      expect(await a.addShare('trunk:x', 2)).toBe(2);
      expect(await b.addShare('trunk:x', 3)).toBe(5);
      // A learns B's share from its background refresh.
      await until(() => a.shareTotal('trunk:x') === 5, 1000, 'A to see the fleet total');
      expect(await a.addShare('trunk:x', -1)).toBe(4);
      await until(() => b.shareTotal('trunk:x') === 4, 1000, 'B to see the decrement');
      expect(a.shareTotal('trunk:other')).toBe(0);
    });

    it('a cleanly closed instance withdraws its share at once', async () => {
      const a = await openReady('a');
      const b = await openReady('b');
      await a.addShare('trunk:y', 4);
      expect(await b.addShare('trunk:y', 1)).toBe(5);
      await a.close();
      await until(() => b.shareTotal('trunk:y') === 1, 1000, 'A’s share to go');
    });

    it('a crashed instance’s share leaves the total within its ttl', async () => {
      const b = await openReady('b');
      await b.addShare('trunk:z', 1);
      // A "crashed" instance: it wrote its share once and never refreshed it.
      const raw = new Redis(server.port, '127.0.0.1');
      try {
        await runScript(raw, SHARE, [`${prefix}share:trunk:z`], ['crashed', 7, SHARE_TTL_MS]);
      } finally {
        raw.disconnect();
      }
      await until(() => b.shareTotal('trunk:z') === 8, 1000, 'the crashed share to count');
      const gone = await until(() => b.shareTotal('trunk:z') === 1, SHARE_TTL_MS + 1000, 'the crashed share to expire');
      expect(gone).toBeLessThan(SHARE_TTL_MS + 500);
    });
  });

  it('checkNonceCount refuses a replay made at another instance', async () => {
    const a = await openReady('a');
    const b = await openReady('b');
    expect(await a.checkNonceCount('nonce-1', 1, 10_000)).toBe(true);
    expect(await b.checkNonceCount('nonce-1', 1, 10_000)).toBe(false);
    expect(await b.checkNonceCount('nonce-1', 2, 10_000)).toBe(true);
    expect(await a.checkNonceCount('nonce-1', 2, 10_000)).toBe(false);
    expect(await a.checkNonceCount('nonce-2', 1, 10_000)).toBe(true);
  });

  describe('outages', () => {
    it('redis stopped: calls return at once on local state; on restart A pushes what it did alone and B sees it', async () => {
      const a = await openReady('a');
      const b = await openReady('b');
      await a.addBan(ban('192.0.2.50'));
      await until(() => b.isBanned('192.0.2.50', Date.now()) !== undefined, 1000, 'pre-outage ban on B');
      await a.addShare('trunk:o', 2);

      await server.stop();
      await until(() => !a.up() && !b.up(), 2000, 'both stores to notice');

      const t0 = performance.now();
      expect(await a.incrWindow('w', 10_000)).toBe(1);
      expect(await a.incrWindow('w', 10_000)).toBe(2);
      expect(await a.addShare('trunk:o', 1)).toBe(3); // fail-open: local count
      expect(a.shareTotal('trunk:o')).toBe(3);
      expect(await a.checkNonceCount('n', 1, 10_000)).toBe(true);
      expect(await a.checkNonceCount('n', 1, 10_000)).toBe(false);
      await a.addBan(ban('192.0.2.51'));
      expect(await a.removeBan('192.0.2.50')).toBe(true);
      expect(performance.now() - t0).toBeLessThan(COMMAND_TIMEOUT_MS * 7);
      expect(a.isBanned('192.0.2.51', Date.now())).toBeDefined();
      expect(a.up()).toBe(false);
      // One warning per instance for the whole outage, not one per failed command.
      expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);

      await server.restart();
      await until(() => a.up() && b.up(), 5000, 'both stores to resync');
      await until(() => b.isBanned('192.0.2.51', Date.now()) !== undefined, 1000, 'the outage ban on B');
      await until(() => b.isBanned('192.0.2.50', Date.now()) === undefined, 1000, 'the outage lift on B');
      await until(() => b.shareTotal('trunk:o') === 3, 1000, 'A’s share re-published');
      // The fleet's list is whole again for an instance started now.
      const c = await openReady('c');
      expect(c.listBans(Date.now()).map((x) => x.address)).toEqual(['192.0.2.51']);
    });

    it('a server that lost its data gets the bans back from the instances', async () => {
      const a = await openReady('a');
      const b = await openReady('b');
      await a.addBan(ban('192.0.2.60'));
      await until(() => b.isBanned('192.0.2.60', Date.now()) !== undefined, 1000, 'ban on B');
      await server.restart(); // nothing persisted: the server comes back empty
      await until(() => a.up() && b.up() && logs.filter((l) => l.msg?.includes('lost its data')).length >= 1, 5000, 'resync');
      expect(b.isBanned('192.0.2.60', Date.now())).toBeDefined();
      const c = await openReady('c');
      expect(c.isBanned('192.0.2.60', Date.now())).toBeDefined();
    });

    it('redis frozen (answers nothing): each call gives up after the command timeout', async () => {
      const a = await openReady('a');
      server.pause();
      const t0 = performance.now();
      expect(await a.incrWindow('frozen', 10_000)).toBe(1);
      const first = performance.now() - t0;
      expect(first).toBeLessThan(COMMAND_TIMEOUT_MS + 300);
      expect(a.up()).toBe(false);
      // Known down: the next calls do not wait at all.
      const t1 = performance.now();
      await a.addBan(ban('192.0.2.70'));
      expect(await a.checkNonceCount('fz', 1, 1000)).toBe(true);
      expect(performance.now() - t1).toBeLessThan(100);
      server.resume();
      await until(() => a.up(), 3000, 'up after thaw');
      const b = await openReady('b');
      expect(b.isBanned('192.0.2.70', Date.now())).toBeDefined();
    });

    it('fail-closed: addShare and shareTotal answer Infinity while redis is away', async () => {
      const a = await openReady('a', { failMode: 'closed' });
      expect(await a.addShare('trunk:c', 1)).toBe(1);
      await server.stop();
      await until(() => !a.up(), 2000, 'down');
      expect(await a.addShare('trunk:c', 1)).toBe(Number.POSITIVE_INFINITY);
      expect(a.shareTotal('trunk:c')).toBe(Number.POSITIVE_INFINITY);
      // Bans are still enforced from the mirror.
      await a.addBan(ban('192.0.2.80'));
      expect(a.isBanned('192.0.2.80', Date.now())).toBeDefined();
      await server.restart();
      await until(() => a.up(), 5000, 'up again');
      expect(await a.addShare('trunk:c', 0)).toBe(2);
    });

    it('starts while redis is down, serving local state, and syncs when it appears', async () => {
      await server.stop();
      const gauge: number[] = [];
      const a = open('a', { metrics: { storeUp: { set: (v) => gauge.push(v) } } });
      expect(await a.ready(300)).toBe(false);
      expect(a.up()).toBe(false);
      await a.addBan(ban('192.0.2.90'));
      expect(a.isBanned('192.0.2.90', Date.now())).toBeDefined();
      await server.restart();
      expect(await a.ready(5000)).toBe(true);
      expect(gauge.at(-1)).toBe(1);
      const b = await openReady('b');
      expect(b.isBanned('192.0.2.90', Date.now())).toBeDefined();
    });
  });

  it('close leaves no sockets or timers behind', async () => {
    const count = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'Timeout').length;
    await new Promise((r) => setTimeout(r, 50));
    const before = count();
    const a = await openReady('a');
    await a.addShare('k', 1);
    expect(count()).toBeGreaterThan(before);
    await a.close();
    stores.splice(stores.indexOf(a), 1);
    await until(() => count() <= before, 1000, 'resources to be released');
  });
});
