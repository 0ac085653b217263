// What the transport layer trades in: raw framed messages and where they came from.
// It knows nothing of what a message means.
import type { PeerCertificate } from 'node:tls';
import type { RealmName, Transport } from '../config/schema.js';

export interface Source {
  readonly transport: Transport;
  readonly realm: RealmName;
  readonly listenerId: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string; // IPv4 dotted or IPv6 without brackets (IPv4-mapped IPv6 unmapped)
  readonly remotePort: number;
  /** Set for tcp/tls: the connection the message arrived on. */
  readonly connectionId?: number;
  /** Set for tls when the peer presented a certificate. */
  readonly peerCertificate?: PeerCertificate;
  /** Set for tls: whether the peer certificate verified against the listener's CA. */
  readonly peerAuthorized?: boolean;
}

export interface InboundMessage {
  readonly data: Buffer;
  readonly source: Source;
  /** process.hrtime.bigint() when the last byte arrived */
  readonly receivedAt: bigint;
}

/**
 * Where to send: a listener, a remote address (an IP literal), and for streams the
 * connection to use. A stream send without an open connectionId reuses or opens one.
 */
export interface Destination {
  readonly listenerId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly connectionId?: number;
  /**
   * TLS only, for a connection we open: the server's host name, sent as SNI and checked
   * against its certificate. Without it the certificate must name remoteAddress.
   */
  readonly serverName?: string;
}

export interface ListenerInfo {
  readonly id: string;
  readonly realm: RealmName;
  readonly transport: Transport;
  readonly address: string;
  readonly port: number; // the bound port (useful when configured as 0)
  readonly advertise: string;
}
