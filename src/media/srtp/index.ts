// The SRTP layer's public surface: contexts (RFC 3711 / RFC 7714) and SDES (RFC 4568).
export type {
  ContextOptions, ProtectResult, RefusalReason, SessionKeys, SrtpContext, Suite, SuiteName, UnprotectResult,
} from './types.js';
export { SUITE_NAMES, suiteByName } from './suites.js';
export { createSrtpContext } from './context.js';
export {
  formatCrypto, generateCrypto, parseCrypto, parseLifetime,
  type GeneratedCrypto, type SdesCrypto, type SdesKey, type SdesParseOptions, type SdesParseResult, type SdesRefusal,
} from './sdes.js';
export { contextFromCrypto } from './from-sdes.js';
