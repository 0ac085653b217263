// Per stream listener: which connection a send without a usable connectionId goes on.
// Any open connection of the listener to the same remote address and port is reused,
// whichever side opened it (plain address+port matching, not RFC 5923 aliases);
// otherwise one is opened from the listener's address and the data wait in its queue.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Metrics } from '../observability/metrics.js';
import type { Destination, Source } from './types.js';
import type { DropReporter } from './drops.js';
import type { ConnectionAdmission, TransportLimits } from './limits.js';
import type { ResolvedListener } from './listener.js';
import type { StreamConnection } from './stream.js';
import type { TlsClient } from './tls-client.js';
import { canonicalAddress, connectFrom, reachableFrom } from './address.js';
import { openOutbound, type ConnectFailure, type PendingOutbound } from './outbound.js';

/** What onSendFailure reports: a TLS failure is a failed connect to the caller. */
export type SendFailureReason = 'connect_failed' | 'connect_timeout' | 'closed';

export type SendFailureHandler = (dest: Destination, reason: SendFailureReason, detail: string) => void;

export interface ConnectorEnv {
  readonly metrics: Metrics;
  readonly reportDrop: DropReporter;
  readonly limits: TransportLimits;
  readonly admission: ConnectionAdmission;
  readonly nextConnectionId: () => number;
  readonly onSendFailure: SendFailureHandler;
  /** For tls listeners. */
  readonly tlsClient?: TlsClient;
  /** Makes a usable socket a StreamConnection of the listener (framing, table, idle timeout). */
  readonly attach: (socket: Socket, id: number, remoteAddress: string, remotePort: number, tlsPeer?: Pick<Source, 'peerAuthorized' | 'peerCertificate'>) => StreamConnection;
}

export interface Connector {
  /** Every usable connection of the listener goes through here (inbound ones too). */
  track(conn: StreamConnection): void;
  untrack(conn: StreamConnection): void;
  /** Writes on an open connection to dest, or queues on a new or pending one. */
  send(dest: Destination, data: Buffer): boolean;
  /**
   * Aborts connects in progress (their senders hear 'closed'); resolves when every
   * socket this listener opened has closed (the caller destroys the established ones).
   */
  close(): Promise<void>;
}

interface Pending {
  readonly out: PendingOutbound;
  /** The send that opened it: what onSendFailure reports. */
  readonly dest: Destination;
}

export function createConnector(l: ResolvedListener, env: ConnectorEnv): Connector {
  const transport = l.transport;
  const open = new Map<string, StreamConnection>();
  const pending = new Map<string, Pending>();
  // Every socket opened here until it closes, so close() can wait for the gauge to settle.
  const sockets = new Set<Socket>();
  let allClosed: (() => void) | undefined;
  let closed = false;

  const keyOf = (address: string, port: number): string => `${address}|${port}`;

  function connect(dest: Destination, address: string, key: string): Pending | undefined {
    const remote = { address, port: dest.remotePort };
    const extra = { listenerId: l.id };
    if (env.admission.admitOutbound() !== 'ok') {
      env.reportDrop(transport, 'conn_limit', remote, 'limit reached (conn_limit) opening an outbound connection', extra);
      return undefined;
    }
    const id = env.nextConnectionId();
    const tls = env.tlsClient;
    let out: PendingOutbound;
    try {
      out = openOutbound({
        remoteAddress: address,
        remotePort: dest.remotePort,
        ...(connectFrom(l.address) !== undefined ? { localAddress: connectFrom(l.address) } : {}),
        timeoutMs: env.limits.connectTimeoutMs,
        maxQueuedBytes: env.limits.maxBufferedBytes,
        ...(tls !== undefined
          ? { tls: { context: tls.context(), verify: tls.verifyServer, ...(dest.serverName !== undefined ? { serverName: dest.serverName } : {}) } }
          : {}),
        onConnected: (socket, queued) => {
          pending.delete(key);
          const peer = tlsPeer(socket);
          const conn = env.attach(socket, id, address, dest.remotePort, peer);
          for (const data of queued) conn.write(data);
        },
        onFailed: (reason, detail) => {
          if (pending.get(key)?.out === out) pending.delete(key);
          failed(dest, reason, detail, id);
        },
      });
    } catch (err) {
      // Synchronous throws are argument errors (a bad port, an unusable context).
      env.admission.releaseOutbound();
      env.reportDrop(transport, 'send_error', remote, err instanceof Error ? err.message : String(err), extra);
      return undefined;
    }
    env.metrics.transportConnections.inc({ transport });
    // Whatever ends it (failure, idle timeout, peer, stop), the socket closes once: account here.
    sockets.add(out.socket);
    out.socket.once('close', () => {
      env.admission.releaseOutbound();
      env.metrics.transportConnections.dec({ transport });
      sockets.delete(out.socket);
      if (sockets.size === 0) allClosed?.();
    });
    const p = { out, dest };
    pending.set(key, p);
    return p;
  }

  function failed(dest: Destination, reason: ConnectFailure, detail: string, id: number): void {
    if (reason !== 'closed') {
      env.reportDrop(transport, reason, { address: dest.remoteAddress, port: dest.remotePort }, detail, { listenerId: l.id, connectionId: id });
    }
    env.onSendFailure(dest, reason === 'tls_error' ? 'connect_failed' : reason, detail);
  }

  return {
    track(conn) {
      open.set(keyOf(conn.source.remoteAddress, conn.source.remotePort), conn);
    },
    untrack(conn) {
      const key = keyOf(conn.source.remoteAddress, conn.source.remotePort);
      if (open.get(key) === conn) open.delete(key);
    },
    send(dest, data) {
      if (closed) return false;
      const address = canonicalAddress(dest.remoteAddress);
      const remote = { address: dest.remoteAddress, port: dest.remotePort };
      if (address === undefined || !reachableFrom(l.address, l.family, address)) {
        env.reportDrop(transport, 'send_error', remote, `listener ${l.id} (${l.address}) cannot send to ${dest.remoteAddress}`, { listenerId: l.id });
        return false;
      }
      const key = keyOf(address, dest.remotePort);
      const conn = open.get(key);
      if (conn !== undefined) return conn.write(data);
      const p = pending.get(key) ?? connect(dest, address, key);
      if (p === undefined) return false;
      if (p.out.enqueue(data)) return true;
      env.reportDrop(transport, 'backpressure', remote, 'outbound connection still connecting and its queue is full', { listenerId: l.id });
      return false;
    },
    close() {
      closed = true;
      for (const p of [...pending.values()]) p.out.abort();
      pending.clear();
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        allClosed = resolve;
      });
    },
  };
}

function tlsPeer(socket: Socket): Pick<Source, 'peerAuthorized' | 'peerCertificate'> | undefined {
  if (!('encrypted' in socket)) return undefined;
  const s = socket as TLSSocket;
  const cert = s.getPeerCertificate(false);
  const hasCert = cert !== null && typeof cert === 'object' && cert.raw !== undefined;
  return { peerAuthorized: s.authorized, ...(hasCert ? { peerCertificate: cert } : {}) };
}
