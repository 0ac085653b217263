// Routing: where a request goes next. The proxy core calls these; none of them
// parse SIP or send packets.
export type { Hop, Random, Transport, UriTarget } from './types.js';
export { DEFAULT_PORT } from './types.js';
export { createPool, type Pool, type PoolOptions, type PoolTarget, type Probe, type TargetStatus } from './pool.js';
export { createSipResolver, type DnsResolver, type SipResolver, type SipResolverOptions } from './resolve.js';
export { createDnsCache, type DnsCache, type DnsCacheOptions } from './dns-cache.js';
export {
  createTrunkTable,
  normalizeNumber,
  selectTrunk,
  type Trunk,
  type TrunkChoice,
  type TrunkInput,
  type TrunkTable,
  type TrunkTarget,
} from './trunks.js';
export { drawWeighted, lowestPriorityGroup, orderWeighted, type Weighted } from './weighted.js';
