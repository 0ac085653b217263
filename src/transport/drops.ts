// Every way the transport layer refuses or closes something, as a fixed label set so a
// hostile peer cannot invent metric label values; and the one place that counts and
// (sampled) logs a drop.
import type { Transport } from '../config/schema.js';
import type { Metrics } from '../observability/metrics.js';
import { createSampledLog, type Logger } from '../observability/logger.js';

export type DropReason =
  | 'too_large' // a stream message or header section beyond sip.limits.stream.maxMessageBytes
  | 'bad_framing' // missing, invalid or conflicting Content-Length on a stream
  | 'buffer_limit' // more unframed bytes than transport.maxBufferedBytes
  | 'conn_limit' // transport.maxConnections reached
  | 'per_ip_limit' // transport.maxConnectionsPerIp reached
  | 'banned' // the security layer refused the address (a ban) at accept
  | 'idle_timeout' // no traffic for transport.idleTimeoutMs
  | 'handshake_timeout' // TLS handshake not done within transport.tls.handshakeTimeoutMs
  | 'tls_error' // failed handshake: protocol version, cipher, missing or unverified client (or, outbound, server) certificate
  | 'backpressure' // a send refused because the socket's write queue is full
  | 'send_error' // the OS refused a send (e.g. unreachable), or a destination this listener cannot reach
  | 'connect_failed' // an outbound connection could not be established (refused, unreachable)
  | 'connect_timeout'; // an outbound connection (and TLS handshake) not established within transport.connectTimeoutMs

export const DROP_REASONS: readonly DropReason[] = [
  'too_large', 'bad_framing', 'buffer_limit', 'conn_limit', 'per_ip_limit', 'banned',
  'idle_timeout', 'handshake_timeout', 'tls_error', 'backpressure', 'send_error',
  'connect_failed', 'connect_timeout',
];

export type DropReporter = (
  transport: Transport,
  reason: DropReason,
  remote: { address: string; port?: number },
  detail: string,
  extra?: Record<string, unknown>,
) => void;

export function createDropReporter(logger: Logger, metrics: Metrics, sampleIntervalMs: number): DropReporter {
  const logSampled = createSampledLog(logger, sampleIntervalMs);
  return (transport, reason, remote, detail, extra) => {
    metrics.transportDrops.inc({ transport, reason });
    logSampled(
      reason,
      remote.address,
      { transport, remoteAddress: remote.address, remotePort: remote.port, detail, ...extra },
      'transport drop',
    );
  };
}
