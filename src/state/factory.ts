// Picks the store the configuration asks for. Start-up waits a bounded time for the
// Redis store's first load of fleet state (so a restarted instance enforces the
// fleet's bans from its first packet), then serves on local state if Redis is away.

import { hostname } from 'node:os';
import type { PalisadeConfig } from '../config/schema.js';
import { createMemoryStore } from './memory.js';
import { createRedisStore } from './redis.js';
import type { StartableStore, StoreLogger, UpGauge } from './types.js';

export interface StoreDeps {
  logger: StoreLogger;
  metrics?: { storeUp: UpGauge };
  /** node.name from the config; part of the default instance id */
  nodeName?: string;
}

export type StateConfig = PalisadeConfig['state'];

/** Unique per process even when every replica runs the same config. */
export function defaultInstanceId(nodeName = 'palisade'): string {
  return `${nodeName}:${hostname()}:${process.pid}`;
}

export async function createStore(config: StateConfig, deps: StoreDeps): Promise<StartableStore> {
  if (config.backend === 'memory') {
    deps.metrics?.storeUp.set(1);
    return createMemoryStore(config.memory);
  }
  const r = config.redis;
  const store = createRedisStore({
    ...(r.url !== undefined ? { url: r.url } : {}),
    sentinels: r.sentinels,
    sentinelName: r.sentinelName,
    cluster: r.cluster,
    keyPrefix: r.keyPrefix,
    instanceId: config.instanceId ?? defaultInstanceId(deps.nodeName),
    logger: deps.logger,
    ...(deps.metrics !== undefined ? { metrics: deps.metrics } : {}),
    failMode: config.failMode,
    commandTimeoutMs: r.commandTimeoutMs,
    connectTimeoutMs: r.connectTimeoutMs,
    shareTtlMs: r.shareTtlMs,
    refreshIntervalMs: r.refreshIntervalMs,
    resyncIntervalMs: r.resyncIntervalMs,
    local: config.memory,
  });
  if (!(await store.ready(r.startupTimeoutMs))) {
    deps.logger.warn({ store: 'redis', waitedMs: r.startupTimeoutMs }, 'state store: fleet state not loaded yet, starting on local state');
  }
  return store;
}
