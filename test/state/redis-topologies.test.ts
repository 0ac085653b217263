// The same store behind Sentinel and on a Cluster: the scripts touch one key each and
// pub/sub reaches every instance either way.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { haveTool } from '../helpers/tools.js';
import { startCluster, startRedis, startSentinel, type RedisGroup, type RedisServer } from '../helpers/redis.js';
import { createRedisStore, type RedisStore } from '../../src/state/redis.js';
import type { RedisStoreOptions, StoreLogger } from '../../src/state/types.js';

const hasRedis = haveTool('redis-server', 'redis-server');
const hasCli = hasRedis && haveTool('redis-cli', 'redis-tools');
const quiet: StoreLogger = { info() {}, warn() {}, error() {}, debug() {} };

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function fleetBehaviour(connection: () => Partial<RedisStoreOptions>): void {
  const stores: RedisStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  async function open(id: string): Promise<RedisStore> {
    const s = createRedisStore({ ...connection(), instanceId: id, logger: quiet, refreshIntervalMs: 100, commandTimeoutMs: 500 });
    stores.push(s);
    expect(await s.ready(10_000)).toBe(true);
    return s;
  }

  it('bans, windows, shares and nonces are shared by two instances', async () => {
    const a = await open('a');
    const b = await open('b');
    const now = Date.now();
    await a.addBan({ address: '198.51.100.1', reason: 'scanner', until: now + 60_000, createdAt: now, origin: 'a' });
    await until(() => b.isBanned('198.51.100.1', Date.now()) !== undefined, 1000, 'ban on B');
    // Keys chosen to land on different cluster slots.
    for (const k of ['w1', 'w2', 'w3', 'w4']) {
      expect(await a.incrWindow(k, 10_000)).toBe(1);
      expect(await b.incrWindow(k, 10_000)).toBe(2);
    }
    await a.addShare('trunk:1', 2);
    expect(await b.addShare('trunk:1', 1)).toBe(3);
    expect(await a.checkNonceCount('n', 1, 10_000)).toBe(true);
    expect(await b.checkNonceCount('n', 1, 10_000)).toBe(false);
    const c = await open('c');
    expect(c.isBanned('198.51.100.1', Date.now())).toBeDefined();
  });
}

describe.skipIf(!hasRedis)('redis store behind Sentinel', () => {
  let master: RedisServer;
  let sentinel: RedisGroup;
  beforeAll(async () => {
    master = await startRedis();
    sentinel = await startSentinel(master.port, 'palisade');
  });
  afterAll(async () => {
    await sentinel?.stop();
    await master?.stop();
  });
  fleetBehaviour(() => ({ sentinels: sentinel.nodes, sentinelName: 'palisade', keyPrefix: 'sent:' }));
});

describe.skipIf(!hasCli)('redis store on a Cluster', () => {
  let cluster: RedisGroup;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  fleetBehaviour(() => ({ cluster: cluster.nodes, keyPrefix: 'clu:' }));
});
