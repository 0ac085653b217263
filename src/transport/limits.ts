// Connection admission: a total cap and a per-remote-address cap for TCP+TLS together,
// checked at accept so an over-limit connection costs one accept and one close.
// Connections we open count in the total only: the per-address cap guards against
// peers flooding us, and counting our own connections to a softswitch in it would let
// them crowd out that softswitch's inbound ones.
import type { PalisadeConfig } from '../config/schema.js';

export interface TransportLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly idleTimeoutMs: number;
  /** Unframed inbound bytes per connection; also the bound on queued outbound bytes. */
  readonly maxBufferedBytes: number;
  readonly maxMessageBytes: number;
  readonly handshakeTimeoutMs: number;
  /** Outbound: TCP connect, plus the handshake for TLS. */
  readonly connectTimeoutMs: number;
}

export function limitsFromConfig(cfg: PalisadeConfig): TransportLimits {
  return {
    maxConnections: cfg.transport.maxConnections,
    maxConnectionsPerIp: cfg.transport.maxConnectionsPerIp,
    idleTimeoutMs: cfg.transport.idleTimeoutMs,
    maxBufferedBytes: cfg.transport.maxBufferedBytes,
    maxMessageBytes: cfg.sip.limits.stream.maxMessageBytes,
    handshakeTimeoutMs: cfg.transport.tls.handshakeTimeoutMs,
    connectTimeoutMs: cfg.transport.connectTimeoutMs,
  };
}

export type Admission = 'ok' | 'conn_limit' | 'per_ip_limit' | 'banned';

export interface ConnectionAdmission {
  /** Reserves a slot for `ip` when one is free. Every 'ok' must be paired with one release(). */
  admit(ip: string): Admission;
  release(ip: string): void;
  /** Reserves a slot for a connection we open (total cap only); pair each 'ok' with one releaseOutbound(). */
  admitOutbound(): Admission;
  releaseOutbound(): void;
  total(): number;
}

export function createAdmission(
  limits: Pick<TransportLimits, 'maxConnections' | 'maxConnectionsPerIp'>,
  /** the security layer's word on an address (a banned source's connection is closed on accept) */
  allow?: (ip: string) => boolean,
): ConnectionAdmission {
  let total = 0;
  // Entries are deleted at zero, so the map holds only addresses with open connections.
  const perIp = new Map<string, number>();
  return {
    admit(ip) {
      if (allow !== undefined && !allow(ip)) return 'banned';
      if (total >= limits.maxConnections) return 'conn_limit';
      const n = perIp.get(ip) ?? 0;
      if (n >= limits.maxConnectionsPerIp) return 'per_ip_limit';
      perIp.set(ip, n + 1);
      total++;
      return 'ok';
    },
    release(ip) {
      const n = perIp.get(ip);
      if (n === undefined) return;
      if (n <= 1) perIp.delete(ip);
      else perIp.set(ip, n - 1);
      total--;
    },
    admitOutbound() {
      if (total >= limits.maxConnections) return 'conn_limit';
      total++;
      return 'ok';
    },
    releaseOutbound() {
      if (total > 0) total--;
    },
    total: () => total,
  };
}
