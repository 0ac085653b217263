import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createStore, defaultInstanceId } from '../../src/state/factory.js';
import type { StartableStore, StoreLogger } from '../../src/state/types.js';
import { haveTool } from '../helpers/tools.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const quiet: StoreLogger = { info() {}, warn() {}, error() {}, debug() {} };

describe('state config', () => {
  it('defaults to the memory backend, fail-open', () => {
    const c = configSchema.parse({});
    expect(c.state.backend).toBe('memory');
    expect(c.state.failMode).toBe('open');
    expect(c.state.redis.keyPrefix).toBe('palisade:');
  });

  it('refuses the redis backend with nowhere to connect', () => {
    const r = configSchema.safeParse({ state: { backend: 'redis' } });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('state.redis.url');
  });

  it('refuses a URL that is not redis:// or rediss://', () => {
    expect(configSchema.safeParse({ state: { backend: 'redis', redis: { url: 'http://x' } } }).success).toBe(false);
  });

  it('the default instance id differs per process but names the node', () => {
    expect(defaultInstanceId('edge-1')).toMatch(new RegExp(`^edge-1:.+:${process.pid}$`));
  });
});

describe('createStore', () => {
  const made: StartableStore[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((s) => s.close()));
  });

  it('memory backend', async () => {
    const up: number[] = [];
    const s = await createStore(configSchema.parse({}).state, { logger: quiet, metrics: { storeUp: { set: (v) => up.push(v) } } });
    made.push(s);
    expect(s.kind).toBe('memory');
    expect(up).toEqual([1]);
  });

  describe.skipIf(!haveTool('redis-server', 'redis-server'))('redis backend', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedis();
    });
    afterAll(async () => {
      await server.stop();
    });

    it('connects and loads fleet state before returning', async () => {
      const cfg = configSchema.parse({ state: { backend: 'redis', failMode: 'closed', instanceId: 'f1', redis: { url: server.url, keyPrefix: 'factory:' } } }).state;
      const s = await createStore(cfg, { logger: quiet });
      made.push(s);
      expect(s.kind).toBe('redis');
      expect(s.up()).toBe(true);
    });

    it('gives up waiting after startupTimeoutMs and starts on local state', async () => {
      const cfg = configSchema.parse({
        state: { backend: 'redis', redis: { url: 'redis://127.0.0.1:1', startupTimeoutMs: 200, connectTimeoutMs: 100 } },
      }).state;
      const warned: string[] = [];
      const t0 = performance.now();
      const s = await createStore(cfg, { logger: { ...quiet, warn: (_o, m) => void warned.push(m ?? '') } });
      made.push(s);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(s.up()).toBe(false);
      expect(warned.some((m) => m.includes('local state'))).toBe(true);
    });
  });
});
