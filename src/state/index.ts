export type * from './types.js';
export { createMemoryStore, type MemoryStore } from './memory.js';
export { createRedisStore, type RedisStore } from './redis.js';
export { createStore, defaultInstanceId, type StoreDeps, type StateConfig } from './factory.js';
