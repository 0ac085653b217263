// Types shared by the routing modules. Routing takes plain values and injected
// functions: it never parses SIP nor touches sockets, so the proxy core stays the
// only place that knows about transactions.

export type Transport = 'udp' | 'tcp' | 'tls';

/** A source of uniform random numbers in [0, 1); injectable so tests are deterministic. */
export type Random = () => number;

/** One concrete next hop: what the transport layer needs to send a request. */
export interface Hop {
  readonly address: string;
  readonly port: number;
  readonly transport: Transport;
}

/** The host part of a SIP or SIPS URI and what the URI says about reaching it. */
export interface UriTarget {
  readonly host: string;
  readonly port?: number;
  /** the URI's transport parameter, when present */
  readonly transport?: Transport;
  /** true for a sips: URI (TLS required on every hop) */
  readonly secure: boolean;
}

export const DEFAULT_PORT: Readonly<Record<Transport, number>> = { udp: 5060, tcp: 5060, tls: 5061 };
