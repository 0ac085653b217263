// One outbound connection while it is being set up: the TCP connect and, for TLS, the
// handshake with the server verified, all within one timeout. send() must stay
// synchronous, so what is sent meanwhile is queued (bounded) and handed over with the
// socket once it is usable. Admission, the gauge and the connection table are the
// caller's (stream-listener/connector), which sees the socket from the start.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';

export type ConnectFailure = 'connect_failed' | 'connect_timeout' | 'tls_error' | 'closed';

export interface OutboundParams {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Undefined: let the OS choose by route (wildcard listener). */
  readonly localAddress?: string;
  readonly timeoutMs: number;
  /** Bound on the bytes queued before the connection is up. */
  readonly maxQueuedBytes: number;
  readonly tls?: { readonly context: SecureContext; readonly verify: boolean; readonly serverName?: string };
  /** The connection is usable; `queued` is what was sent meanwhile, in order, still to be written. */
  readonly onConnected: (socket: Socket, queued: readonly Buffer[]) => void;
  /** Called at most once, and never after onConnected. The socket is already destroyed. */
  readonly onFailed: (reason: ConnectFailure, detail: string) => void;
}

export interface PendingOutbound {
  readonly socket: Socket;
  /** False when `data` would take the queue beyond its bound. */
  enqueue(data: Buffer): boolean;
  /** Gives up (listener closing): onFailed('closed'). */
  abort(): void;
}

export function openOutbound(p: OutboundParams): PendingOutbound {
  const queue: Buffer[] = [];
  let queuedBytes = 0;
  let settled = false;
  let tcpUp = false;

  const socket: Socket =
    p.tls === undefined
      ? netConnect({ host: p.remoteAddress, port: p.remotePort, noDelay: true, ...local(p.localAddress) })
      : tlsConnect({
          host: p.remoteAddress,
          port: p.remotePort,
          ...local(p.localAddress),
          secureContext: p.tls.context,
          rejectUnauthorized: p.tls.verify,
          // SNI carries host names only (RFC 6066 §3); without one, Node checks the
          // certificate against the IP address in `host`.
          ...(p.tls.serverName !== undefined ? { servername: p.tls.serverName } : {}),
        });

  const timer = setTimeout(() => fail('connect_timeout', `not connected within ${p.timeoutMs} ms`), p.timeoutMs);

  const phaseFailure = (): ConnectFailure => (p.tls !== undefined && tcpUp ? 'tls_error' : 'connect_failed');
  const onTcp = (): void => {
    tcpUp = true;
    if (p.tls !== undefined) (socket as TLSSocket).setNoDelay(true);
  };
  const onError = (err: NodeJS.ErrnoException): void => fail(phaseFailure(), err.code !== undefined ? `${err.code}: ${err.message}` : err.message);
  const onClose = (): void => fail(phaseFailure(), 'closed before the connection was established');
  const onUp = (): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('error', onError);
    socket.off('close', onClose);
    // Synchronous hand-over: the new owner attaches its own 'error' listener at once.
    p.onConnected(socket, queue.splice(0));
    queuedBytes = 0;
  };

  socket.once('connect', onTcp);
  socket.once(p.tls !== undefined ? 'secureConnect' : 'connect', onUp);
  socket.on('error', onError);
  socket.once('close', onClose);

  function fail(reason: ConnectFailure, detail: string): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    queue.length = 0;
    queuedBytes = 0;
    // Later errors from the dying socket must not go unhandled (that would crash the process).
    socket.off('error', onError);
    socket.on('error', () => undefined);
    socket.destroy();
    p.onFailed(reason, detail);
  }

  return {
    socket,
    enqueue(data) {
      if (settled) return false;
      // Like a connection's write bound: one message larger than the bound still goes alone.
      if (queuedBytes > 0 && queuedBytes + data.length > p.maxQueuedBytes) return false;
      queue.push(data);
      queuedBytes += data.length;
      return true;
    },
    abort: () => fail('closed', 'listener closed before the connection was established'),
  };
}

function local(address: string | undefined): { localAddress?: string } {
  return address !== undefined ? { localAddress: address } : {};
}
