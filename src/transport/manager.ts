// The transport layer's public face: binds every listener of both realms, routes
// send() to the right socket or connection, and reloads TLS credentials.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { resolve as resolvePath } from 'node:path';
import type { ListenerConfig, PalisadeConfig, RealmName } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Destination, InboundMessage, ListenerInfo } from './types.js';
import type { Listener, ResolvedListener } from './listener.js';
import type { ReloadResult, TlsWatchOptions } from './tls-context.js';
import type { StreamConnection } from './stream.js';
import type { SendFailureReason } from './connector.js';
import { defaultListenerId, defaultPort, uniqueIds } from './address.js';
import { createDropReporter } from './drops.js';
import { createAdmission, limitsFromConfig } from './limits.js';
import { startUdpListener } from './udp.js';
import { startStreamListener } from './stream-listener.js';
import { errorMessage } from './tls-context.js';

export interface TransportDeps {
  logger: Logger;
  metrics: Metrics;
  /** One framed SIP message (bytes only; no SIP meaning). */
  onMessage(msg: InboundMessage): void;
  /** Relative certificate paths resolve against it (default process.cwd()). */
  baseDir?: string;
  /** Polling and debounce of the TLS file watch (when transport.tls.watch); defaults suit production. */
  tlsWatch?: Partial<TlsWatchOptions>;
  /**
   * A send() that returned true could not be delivered after all: the connection it
   * opened failed ('connect_failed', TLS verification included), did not come up within
   * transport.connectTimeoutMs ('connect_timeout'), or the transport stopped first
   * ('closed'). Called once per failed connection, with the Destination of the send
   * that opened it, so a client transaction can fail at once instead of timing out.
   */
  onSendFailure?(dest: Destination, reason: SendFailureReason, detail: string): void;
  /** Asked on every accepted TCP/TLS connection before anything else: false closes it (counted as 'banned'). */
  acceptConnection?(remoteAddress: string): boolean;
}

export interface TransportManager {
  /** Binds every listener of realms.external and realms.internal; rejects naming the listener that failed. */
  start(): Promise<void>;
  /** Closes listeners and connections. */
  stop(): Promise<void>;
  /** Actual bound addresses and ports. */
  listeners(): ListenerInfo[];
  /**
   * Stream: writes on dest.connectionId if still open, else on an open connection of the
   * listener to the same address and port, else opens one and queues. UDP: sends from the
   * listener's socket. True when accepted for sending; delivery failures of connects
   * come later through onSendFailure.
   */
  send(dest: Destination, data: Buffer): boolean;
  /** Rereads cert + key (+ CA) of every TLS listener; new handshakes use them. */
  reloadTls(): Promise<{ ok: boolean; error?: string }>;
  /** Open TCP+TLS connections, handshaking and connecting ones included, inbound and outbound. */
  connectionCount(): number;
}

export const DEFAULT_TLS_WATCH: TlsWatchOptions = { intervalMs: 2000, debounceMs: 500 };

const REALMS: readonly RealmName[] = ['external', 'internal'];

export function createTransportManager(cfg: PalisadeConfig, deps: TransportDeps): TransportManager {
  const logger = deps.logger.child({ component: 'transport' });
  const limits = limitsFromConfig(cfg);
  const admission = createAdmission(limits, deps.acceptConnection ? (ip) => deps.acceptConnection!(ip) : undefined);
  const reportDrop = createDropReporter(logger, deps.metrics, cfg.log.dropSampleIntervalMs);
  const connections = new Map<number, StreamConnection>();
  const byId = new Map<string, Listener>();
  let nextConnectionId = 1;
  let state: 'new' | 'starting' | 'started' | 'stopped' = 'new';

  const tlsSettings = { minVersion: cfg.transport.tls.minVersion, ciphers: cfg.transport.tls.ciphers };
  const tlsWatch = cfg.transport.tls.watch ? { ...DEFAULT_TLS_WATCH, ...deps.tlsWatch } : undefined;

  const streamEnv = {
    logger,
    metrics: deps.metrics,
    reportDrop,
    onMessage: deps.onMessage,
    limits,
    admission,
    nextConnectionId: () => nextConnectionId++,
    register: (c: StreamConnection) => void connections.set(c.id, c),
    unregister: (c: StreamConnection) => void connections.delete(c.id),
    lookup: (id: number) => connections.get(id),
    tlsSettings,
    onSendFailure: (dest: Destination, reason: SendFailureReason, detail: string) => {
      try {
        deps.onSendFailure?.(dest, reason, detail);
      } catch (err) {
        // A bug above must not break the socket event that reported the failure.
        logger.error({ err: errorMessage(err), listenerId: dest.listenerId }, 'onSendFailure threw');
      }
    },
    ...(tlsWatch !== undefined ? { tlsWatch } : {}),
  };
  const udpEnv = { logger, reportDrop, onMessage: deps.onMessage, receiveBufferBytes: cfg.transport.udpReceiveBufferBytes };

  async function closeAll(): Promise<void> {
    const all = [...byId.values()];
    byId.clear();
    await Promise.all(all.map((l) => l.close().catch(() => undefined)));
  }

  return {
    async start() {
      if (state !== 'new') throw new Error(`transport: start() called when ${state}`);
      state = 'starting';
      let resolved: ResolvedListener[];
      try {
        resolved = await resolveListeners(cfg, deps.baseDir ?? process.cwd());
      } catch (err) {
        state = 'stopped';
        throw err;
      }
      const results = await Promise.allSettled(
        resolved.map(async (l) => {
          try {
            const listener = l.transport === 'udp' ? await startUdpListener(l, udpEnv) : await startStreamListener(l, streamEnv);
            byId.set(l.id, listener);
            return listener;
          } catch (err) {
            throw new Error(`listener ${l.id} (${l.transport} ${l.address}:${l.port}): ${errorMessage(err)}`);
          }
        }),
      );
      const failures = results.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
      if (failures.length > 0) {
        await closeAll();
        state = 'stopped';
        throw new Error(`transport: cannot start: ${failures.join('; ')}`);
      }
      state = 'started';
      for (const l of byId.values()) logger.info({ listener: l.info }, 'listening');
    },

    async stop() {
      state = 'stopped';
      await closeAll();
    },

    listeners: () => [...byId.values()].map((l) => l.info),

    send(dest, data) {
      const l = byId.get(dest.listenerId);
      return l === undefined ? false : l.send(dest, data);
    },

    async reloadTls() {
      const results: ReloadResult[] = await Promise.all([...byId.values()].map((l) => l.reloadTls()));
      const errors = results.flatMap((r) => (r.ok ? [] : [r.error ?? 'unknown error']));
      return errors.length === 0 ? { ok: true } : { ok: false, error: errors.join('; ') };
    },

    connectionCount: () => admission.total(),
  };
}

/** Applies defaults, resolves host names and cert paths, and gives every listener a unique id. */
export async function resolveListeners(cfg: PalisadeConfig, baseDir: string): Promise<ResolvedListener[]> {
  const entries: { realm: RealmName; l: ListenerConfig }[] = [];
  for (const realm of REALMS) for (const l of cfg.realms[realm].listeners) entries.push({ realm, l });

  // Generated ids get a suffix when they collide (two port-0 listeners); configured ones must be unique.
  const generated = uniqueIds(entries.map(({ realm, l }) => defaultListenerId(realm, l)));
  const ids = entries.map(({ l }, i) => l.id ?? generated[i] ?? '');
  if (new Set(ids).size !== ids.length) {
    throw new Error(`transport: duplicate listener ids: ${ids.filter((id, i) => ids.indexOf(id) !== i).join(', ')}`);
  }

  return Promise.all(
    entries.map(async ({ realm, l }, i): Promise<ResolvedListener> => {
      const id = ids[i] ?? `${realm}-${i}`;
      const { address, family } = await bindAddress(l.address, id);
      const t = cfg.transport.tls;
      const clientCert = l.tls?.clientCert ?? 'none';
      return {
        id,
        realm,
        transport: l.transport,
        address,
        family,
        port: l.port ?? defaultPort(l.transport),
        advertise: l.advertise ?? l.address,
        ...(l.transport === 'tls'
          ? {
              tls: {
                clientCert,
                client: {
                  verifyServer: t.verifyServer,
                  caFile: resolvePath(baseDir, l.tls?.caFile ?? t.caFile),
                  ...(t.trustFile !== undefined ? { trustFile: resolvePath(baseDir, t.trustFile) } : {}),
                },
                files: {
                  certFile: resolvePath(baseDir, l.tls?.certFile ?? t.certFile),
                  keyFile: resolvePath(baseDir, l.tls?.keyFile ?? t.keyFile),
                  ...(clientCert !== 'none' ? { caFile: resolvePath(baseDir, l.tls?.caFile ?? t.caFile) } : {}),
                },
              },
            }
          : {}),
      };
    }),
  );
}

async function bindAddress(address: string, id: string): Promise<{ address: string; family: 4 | 6 }> {
  const literal = isIP(address);
  if (literal !== 0) return { address, family: literal === 6 ? 6 : 4 };
  try {
    const r = await lookup(address);
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  } catch (err) {
    throw new Error(`listener ${id}: cannot resolve ${address}: ${errorMessage(err)}`);
  }
}
