// The edge security layer's public face: import from here.

export type { Accept, Drop, FilterResult, PacketSource, Reject, SecurityDeps, Verdict } from './types.js';
export { ACCEPT } from './types.js';
export { createSecurityPipeline, type SecurityPipeline } from './pipeline.js';
export { applyIdentityHeader, sanitizeIdentityHeader } from './identity.js';
export { canonicalAddress, type BanReason } from './bans.js';
export { DEFAULT_DENY, type DenyEntry } from './premium.js';
export { SCANNER_USER_AGENTS } from './scanner.js';
export { normalizeNumber } from './destination.js';
export { createLagSensor, type LagSensor } from './overload.js';
