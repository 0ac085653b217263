// A TCP or TLS listener. Both accept on a plain net.Server so admission (connection
// limits) and the connections gauge see every socket at accept, before any TLS work;
// a TLS listener then hands the admitted socket to a tls.Server that never listens
// itself (server.emit('connection')), which gives us setSecureContext() for reloads,
// its handshake timeout and its client-certificate checks. Connections the listener
// opens itself (send() with no open connection) are set up by connector.ts.
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type Server as TlsServer } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Destination, InboundMessage, Source } from './types.js';
import type { DropReason, DropReporter } from './drops.js';
import type { ConnectionAdmission, TransportLimits } from './limits.js';
import type { Listener, ResolvedListener } from './listener.js';
import { unmapAddress } from './address.js';
import { attachStreamConnection, type StreamConnection } from './stream.js';
import { createConnector, type SendFailureHandler } from './connector.js';
import { createTlsClient, type TlsClient } from './tls-client.js';
import {
  createTlsCredentials,
  errorMessage,
  loadSecureContextOptions,
  type TlsCredentials,
  type TlsSettings,
  type TlsWatchOptions,
} from './tls-context.js';

export interface StreamListenerEnv {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly reportDrop: DropReporter;
  readonly onMessage: (msg: InboundMessage) => void;
  readonly limits: TransportLimits;
  /** Shared by every stream listener: the limits are for the whole process. */
  readonly admission: ConnectionAdmission;
  readonly nextConnectionId: () => number;
  /** The manager's table, so send() finds a connection by id. */
  readonly register: (conn: StreamConnection) => void;
  readonly unregister: (conn: StreamConnection) => void;
  readonly lookup: (connectionId: number) => StreamConnection | undefined;
  readonly tlsSettings: TlsSettings;
  /** A connection this listener opened for a send could not be established. */
  readonly onSendFailure: SendFailureHandler;
  /** When set, TLS files are watched and reloaded on change. */
  readonly tlsWatch?: TlsWatchOptions;
}

/** An admitted socket whose TLS handshake has not finished. */
interface Handshaking {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  reported: boolean;
}

export async function startStreamListener(l: ResolvedListener, env: StreamListenerEnv): Promise<Listener> {
  const transport = l.transport;
  if (transport === 'udp') throw new Error(`listener ${l.id}: not a stream transport`);

  let tlsServer: TlsServer | undefined;
  let credentials: TlsCredentials | undefined;
  let tlsClient: TlsClient | undefined;
  if (transport === 'tls') {
    if (l.tls === undefined) throw new Error(`listener ${l.id}: tls listener without tls files`);
    const initial = await loadSecureContextOptions(l.tls.files, env.tlsSettings);
    const server = createTlsServer({
      ...initial,
      requestCert: l.tls.clientCert !== 'none',
      rejectUnauthorized: l.tls.clientCert === 'require',
      handshakeTimeout: env.limits.handshakeTimeoutMs,
    });
    tlsServer = server;
    credentials = createTlsCredentials(l.tls.files, env.tlsSettings, initial, {
      logger: env.logger,
      metrics: env.metrics,
      listenerId: l.id,
      apply: (options) => server.setSecureContext(options),
    });
    const creds = credentials;
    tlsClient = await createTlsClient(l.tls.client, env.tlsSettings, () => creds.current()).catch((err: unknown) => {
      creds.close();
      throw err;
    });
  }

  const rawSockets = new Set<Socket>();
  const connections = new Set<StreamConnection>();
  // Keyed by the raw peer tuple, which the TLSSocket reports too.
  const handshaking = new Map<string, Handshaking>();
  let localAddress = '';
  let localPort = 0;

  const dropped = (reason: DropReason, remote: { address: string; port?: number }, detail: string, id?: number): void => {
    env.reportDrop(transport, reason, remote, detail, { listenerId: l.id, ...(id !== undefined ? { connectionId: id } : {}) });
  };

  const connectionEnv = {
    logger: env.logger,
    reportDrop: env.reportDrop,
    onMessage: env.onMessage,
    idleTimeoutMs: env.limits.idleTimeoutMs,
    maxBufferedBytes: env.limits.maxBufferedBytes,
    maxMessageBytes: env.limits.maxMessageBytes,
    onClose: (conn: StreamConnection) => {
      connections.delete(conn);
      connector.untrack(conn);
      env.unregister(conn);
    },
  };

  const connector = createConnector(l, {
    metrics: env.metrics,
    reportDrop: env.reportDrop,
    limits: env.limits,
    admission: env.admission,
    nextConnectionId: env.nextConnectionId,
    onSendFailure: env.onSendFailure,
    ...(tlsClient !== undefined ? { tlsClient } : {}),
    attach: (socket, id, remoteAddress, remotePort, tlsPeer) => attach(socket, id, remoteAddress, remotePort, tlsPeer),
  });

  function attach(socket: Socket, id: number, remoteAddress: string, remotePort: number, tlsPeer?: Pick<Source, 'peerAuthorized' | 'peerCertificate'>): StreamConnection {
    const source: Source = {
      transport,
      realm: l.realm,
      listenerId: l.id,
      localAddress: unmapAddress(socket.localAddress ?? localAddress),
      localPort: socket.localPort ?? localPort,
      remoteAddress,
      remotePort,
      connectionId: id,
      ...tlsPeer,
    };
    const conn = attachStreamConnection(socket, source, connectionEnv);
    connections.add(conn);
    connector.track(conn);
    env.register(conn);
    return conn;
  }

  function onAccept(raw: Socket): void {
    raw.on('error', (err: NodeJS.ErrnoException) => {
      env.logger.debug({ listenerId: l.id, err: err.message, code: err.code }, 'raw socket error');
    });
    const rawAddress = raw.remoteAddress;
    const remotePort = raw.remotePort;
    if (rawAddress === undefined || remotePort === undefined) {
      raw.destroy(); // already gone
      return;
    }
    const remoteAddress = unmapAddress(rawAddress);
    const admission = env.admission.admit(remoteAddress);
    if (admission !== 'ok') {
      dropped(admission, { address: remoteAddress, port: remotePort }, `limit reached (${admission})`);
      raw.destroy();
      return;
    }
    env.metrics.transportConnections.inc({ transport });
    rawSockets.add(raw);
    const id = env.nextConnectionId();
    const key = `${rawAddress}|${remotePort}`;
    raw.once('close', () => {
      // The raw socket closes exactly once whatever layer ended it: account here.
      rawSockets.delete(raw);
      env.admission.release(remoteAddress);
      env.metrics.transportConnections.dec({ transport });
      const hs = handshaking.get(key);
      if (hs !== undefined && hs.id === id) {
        handshaking.delete(key);
        // Node closes a TLS socket whose client certificate failed verification without
        // a tlsClientError; a peer leaving mid-handshake lands here too.
        if (!hs.reported) {
          dropped('tls_error', { address: remoteAddress, port: remotePort }, 'closed during the TLS handshake (or client certificate refused)', id);
        }
      }
    });

    if (tlsServer === undefined) {
      attach(raw, id, remoteAddress, remotePort);
      return;
    }
    handshaking.set(key, { id, remoteAddress, remotePort, reported: false });
    tlsServer.emit('connection', raw);
  }

  if (tlsServer !== undefined) {
    tlsServer.on('secureConnection', (socket: TLSSocket) => {
      const hs = handshaking.get(`${socket.remoteAddress}|${socket.remotePort}`);
      if (hs === undefined) {
        socket.destroy();
        return;
      }
      handshaking.delete(`${socket.remoteAddress}|${socket.remotePort}`);
      const cert = socket.getPeerCertificate(false);
      const hasCert = cert !== null && typeof cert === 'object' && cert.raw !== undefined;
      attach(socket, hs.id, hs.remoteAddress, hs.remotePort, {
        peerAuthorized: socket.authorized,
        ...(hasCert ? { peerCertificate: cert } : {}),
      });
    });
    // It never listens, so this should stay silent; an unhandled 'error' would crash the process.
    tlsServer.on('error', (err) => env.logger.error({ listenerId: l.id, err: errorMessage(err) }, 'tls server error'));
    tlsServer.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      // Read the peer tuple first: a destroyed socket may no longer know it.
      const hs = handshaking.get(`${socket.remoteAddress}|${socket.remotePort}`);
      // Node leaves the socket open after a handshake timeout: close it ourselves.
      socket.destroy();
      // No entry: the raw socket's close already counted this connection (Node reports
      // "socket hang up" after it drops a client whose certificate failed verification).
      if (hs === undefined || hs.reported) return;
      hs.reported = true;
      const reason: DropReason = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'handshake_timeout' : 'tls_error';
      dropped(reason, { address: hs.remoteAddress, port: hs.remotePort }, err.message, hs.id);
    });
  }

  const server: NetServer = createNetServer({ noDelay: true }, onAccept);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host: l.address, port: l.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  }).catch((err: unknown) => {
    credentials?.close();
    throw err;
  });
  server.on('error', (err) => {
    // After listen, errors are accept failures (e.g. EMFILE); the server keeps running.
    env.logger.error({ listenerId: l.id, err: errorMessage(err) }, 'stream listener error');
  });
  const bound = server.address();
  if (bound !== null && typeof bound === 'object') {
    localAddress = unmapAddress(bound.address);
    localPort = bound.port;
  }
  if (credentials !== undefined && env.tlsWatch !== undefined) credentials.watch(env.tlsWatch);

  let closed = false;
  return {
    info: { id: l.id, realm: l.realm, transport, address: localAddress, port: localPort, advertise: l.advertise },
    send(dest: Destination, data: Buffer): boolean {
      if (closed) return false;
      const conn = dest.connectionId !== undefined ? env.lookup(dest.connectionId) : undefined;
      if (conn !== undefined) {
        // The listener check keeps a message for one realm off another realm's connection.
        return conn.source.listenerId === l.id && conn.write(data);
      }
      // No connection named, or it has closed: reuse one to the same address and port, or open one.
      return connector.send(dest, data);
    },
    async reloadTls() {
      if (credentials === undefined || tlsClient === undefined) return { ok: true };
      const [own, trust] = await Promise.all([credentials.reload(), tlsClient.reloadTrust()]);
      if (own.ok && trust.ok) return { ok: true };
      return { ok: false, error: [own.error, trust.ok ? undefined : `listener ${l.id}: ${trust.error ?? ''}`].filter((e) => e !== undefined).join('; ') };
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      credentials?.close();
      const outbound = connector.close();
      const inbound = new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.destroy();
        for (const s of rawSockets) s.destroy();
      });
      return Promise.all([inbound, outbound]).then(() => undefined);
    },
  };
}
