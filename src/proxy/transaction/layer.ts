// The transaction layer: two Maps keyed by transaction key, and the entry points
// the proxy core calls. Every entry leaves its Map when its transaction
// terminates (a timer or a transport error), so the tables hold O(active) entries.
import { ClientTx, clientResponse, silence as silenceClient, startClient } from './client.js';
import type { Env } from './env.js';
import { ServerTx, serverRequest, silence as silenceServer } from './server.js';
import { resolveTimers, systemClock } from './timers.js';
import type {
  ClientTransaction, ClientTransactionInit, ServerTransaction, ServerTransactionInit, TransactionLayer,
  TransactionLayerOptions,
} from './types.js';

export function createTransactionLayer(opts: TransactionLayerOptions = {}): TransactionLayer {
  const env: Env = {
    d: resolveTimers(opts.timers),
    clock: opts.clock ?? systemClock,
    servers: new Map(),
    clients: new Map(),
    opts,
  };
  const { servers, clients } = env;

  return {
    createServer(init: ServerTransactionInit): ServerTransaction {
      // a taken key means the core skipped serverRetransmission(): a programming error
      if (servers.has(init.key)) throw new Error(`server transaction ${JSON.stringify(init.key)} exists`);
      const tx = new ServerTx(env, init);
      servers.set(init.key, tx);
      return tx;
    },

    findServer: (key) => servers.get(key),

    serverRetransmission(key: string, method: string): boolean {
      const tx = servers.get(key);
      return tx === undefined ? false : serverRequest(tx, method);
    },

    createClient(init: ClientTransactionInit): ClientTransaction {
      if (clients.has(init.key)) throw new Error(`client transaction ${JSON.stringify(init.key)} exists`);
      const tx = new ClientTx(env, init);
      clients.set(init.key, tx);
      startClient(tx);
      return tx;
    },

    findClient: (key) => clients.get(key),

    clientResponse(key: string, status: number, raw: Buffer): boolean {
      const tx = clients.get(key);
      if (tx === undefined) return false;
      clientResponse(tx, status, raw);
      return true;
    },

    size: () => ({ server: servers.size, client: clients.size }),

    stop(): void {
      for (const tx of servers.values()) silenceServer(tx);
      for (const tx of clients.values()) silenceClient(tx);
      servers.clear();
      clients.clear();
    },
  };
}

