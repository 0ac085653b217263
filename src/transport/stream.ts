// One usable stream connection (a TCP socket, or a TLS socket once its handshake is
// done): framing, keep-alive pongs, the idle timeout and bounded writes. Admission and
// the connections gauge belong to the listener, which sees the raw socket first.
import type { Socket } from 'node:net';
import type { InboundMessage, Source } from './types.js';
import type { Logger } from '../observability/logger.js';
import type { DropReporter } from './drops.js';
import { createStreamFramer } from './stream-buffer.js';
import { errorMessage } from './tls-context.js';

export interface StreamConnection {
  readonly id: number;
  readonly source: Source;
  /** Queues `data`; false when the connection is gone or its write queue is over the bound. */
  write(data: Buffer): boolean;
  destroy(): void;
}

export interface StreamConnectionEnv {
  readonly logger: Logger;
  readonly reportDrop: DropReporter;
  readonly onMessage: (msg: InboundMessage) => void;
  readonly idleTimeoutMs: number;
  readonly maxBufferedBytes: number;
  readonly maxMessageBytes: number;
  /** Called once when the socket has closed. */
  readonly onClose: (conn: StreamConnection) => void;
}

const PONG = Buffer.from('\r\n', 'latin1');

export function attachStreamConnection(socket: Socket, source: Source, env: StreamConnectionEnv): StreamConnection {
  const framer = createStreamFramer({ maxMessageBytes: env.maxMessageBytes, maxBufferedBytes: env.maxBufferedBytes });
  const transport = source.transport;
  const remote = { address: source.remoteAddress, port: source.remotePort };
  let closed = false;

  const conn: StreamConnection = {
    id: source.connectionId ?? 0,
    source,
    write(data) {
      if (closed || socket.destroyed || !socket.writable) return false;
      // Bounded: a peer that stops reading cannot make us buffer without limit.
      const queued = socket.writableLength;
      if (queued > 0 && queued + data.length > env.maxBufferedBytes) {
        env.reportDrop(transport, 'backpressure', remote, `write queue holds ${queued} bytes`, { connectionId: conn.id });
        return false;
      }
      socket.write(data);
      return true;
    },
    destroy() {
      socket.destroy();
    },
  };

  socket.setTimeout(env.idleTimeoutMs);
  socket.on('timeout', () => {
    env.reportDrop(transport, 'idle_timeout', remote, `no traffic for ${env.idleTimeoutMs} ms`, { connectionId: conn.id });
    socket.destroy();
  });

  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    const receivedAt = process.hrtime.bigint();
    const r = framer.push(chunk);
    for (const ev of r.events) {
      if (closed || socket.destroyed) return; // onMessage may have closed us
      if (ev.type === 'ping') {
        conn.write(PONG);
        continue;
      }
      try {
        env.onMessage({ data: ev.data, source, receivedAt });
      } catch (err) {
        // A bug above must not take the connection (or the process) down with it.
        env.logger.error({ err: errorMessage(err), connectionId: conn.id }, 'onMessage threw');
      }
    }
    if (r.error) {
      env.reportDrop(transport, r.error.reason, remote, r.error.detail, { connectionId: conn.id });
      socket.destroy();
    }
  });

  socket.on('error', (err: NodeJS.ErrnoException) => {
    // Resets and broken pipes are how peers leave; 'close' follows and does the accounting.
    env.logger.debug({ err: err.message, code: err.code, connectionId: conn.id, transport }, 'stream socket error');
  });

  socket.once('close', () => {
    if (closed) return;
    closed = true;
    env.onClose(conn);
  });

  return conn;
}
