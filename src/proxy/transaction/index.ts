// Public surface of the transaction layer; see docs/transactions.md.
export type {
  ClientState, ClientTransaction, ClientTransactionInit, Clock, SendTarget, ServerState, ServerTransaction,
  ServerTransactionInit, TerminationReason, TimerHandle, TransactionLayer, TransactionLayerOptions,
  TransactionTimers,
} from './types.js';
export { createTransactionLayer } from './layer.js';
export { clientKey, hasMagicCookie, legacyServerKey, MAGIC_COOKIE, serverKey } from './keys.js';
export type { LegacyKeyFields } from './keys.js';
export { DEFAULT_TIMERS, systemClock } from './timers.js';
