// A UDP listener: each datagram is one message, passed up as received (the parser
// above applies sip.limits.udp); replies leave from the same socket so NATs and
// firewalls see the 5-tuple they expect (RFC 3581 decides the address, above us).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../observability/logger.js';
import type { InboundMessage, Source } from './types.js';
import type { DropReporter } from './drops.js';
import type { Listener, ResolvedListener } from './listener.js';
import { mapForFamily, unmapAddress } from './address.js';
import { errorMessage } from './tls-context.js';

export interface UdpEnv {
  readonly logger: Logger;
  readonly reportDrop: DropReporter;
  readonly onMessage: (msg: InboundMessage) => void;
  /** SO_RCVBUF to ask for (the kernel caps it at net.core.rmem_max); 0 keeps the default. */
  readonly receiveBufferBytes?: number;
}

/** Bytes allowed to wait in the socket's send queue before sends are refused. */
export const UDP_SEND_QUEUE_LIMIT = 1 << 20;

const CR = 0x0d;
const LF = 0x0a;

/** A datagram of nothing but CR/LF is a keep-alive (RFC 5626 §3.5.1 style); not a message. */
export function isKeepAliveDatagram(msg: Buffer): boolean {
  for (let i = 0; i < msg.length; i++) {
    const c = msg[i];
    if (c !== CR && c !== LF) return false;
  }
  return true;
}

export async function startUdpListener(l: ResolvedListener, env: UdpEnv): Promise<Listener> {
  const socket: Socket = createSocket({ type: l.family === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ address: l.address, port: l.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  }).catch((err: unknown) => {
    try {
      socket.close();
    } catch {
      // never bound: nothing to close
    }
    throw err;
  });

  if (env.receiveBufferBytes) {
    // a burst (or a flood we are about to drop) must not overflow the kernel queue and
    // take legitimate datagrams with it; the default queue is ~200 KiB
    try {
      socket.setRecvBufferSize(env.receiveBufferBytes);
    } catch (err) {
      env.logger.warn({ listenerId: l.id, err: errorMessage(err) }, 'udp receive buffer size refused');
    }
  }

  const bound = socket.address();
  const localAddress = unmapAddress(bound.address);
  const localPort = bound.port;

  socket.on('error', (err) => {
    // After bind, errors are per-send (ICMP unreachable and the like): log, keep serving.
    env.logger.warn({ listenerId: l.id, err: errorMessage(err) }, 'udp socket error');
  });

  socket.on('message', (data: Buffer, rinfo: RemoteInfo) => {
    if (isKeepAliveDatagram(data)) return;
    const source: Source = {
      transport: 'udp',
      realm: l.realm,
      listenerId: l.id,
      localAddress,
      localPort,
      remoteAddress: unmapAddress(rinfo.address),
      remotePort: rinfo.port,
    };
    try {
      env.onMessage({ data, source, receivedAt: process.hrtime.bigint() });
    } catch (err) {
      env.logger.error({ listenerId: l.id, err: errorMessage(err) }, 'onMessage threw');
    }
  });

  let closed = false;
  return {
    info: { id: l.id, realm: l.realm, transport: 'udp', address: localAddress, port: localPort, advertise: l.advertise },
    send(dest, data) {
      if (closed) return false;
      const remote = { address: dest.remoteAddress, port: dest.remotePort };
      if (socket.getSendQueueSize() > UDP_SEND_QUEUE_LIMIT) {
        env.reportDrop('udp', 'backpressure', remote, `send queue holds ${socket.getSendQueueSize()} bytes`);
        return false;
      }
      try {
        socket.send(data, dest.remotePort, mapForFamily(dest.remoteAddress, l.family), (err) => {
          if (err) env.reportDrop('udp', 'send_error', remote, errorMessage(err));
        });
      } catch (err) {
        // Synchronous throws are argument errors (bad port, socket closed).
        env.reportDrop('udp', 'send_error', remote, errorMessage(err));
        return false;
      }
      return true;
    },
    reloadTls: () => Promise.resolve({ ok: true }),
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        try {
          socket.close(() => resolve());
        } catch {
          resolve();
        }
      });
    },
  };
}
