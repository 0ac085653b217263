// What every transaction of one layer shares: resolved durations, the clock, the
// two tables and the layer's hooks. One object per layer, referenced by each
// transaction, so a transaction carries one pointer instead of copies.
import type { Clock, TransactionLayerOptions } from './types.js';
import type { Durations } from './timers.js';
import type { ServerTx } from './server.js';
import type { ClientTx } from './client.js';

export interface Env {
  readonly d: Durations;
  readonly clock: Clock;
  readonly servers: Map<string, ServerTx>;
  readonly clients: Map<string, ClientTx>;
  readonly opts: TransactionLayerOptions;
}
