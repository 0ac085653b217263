// What every listener kind shares: its resolved configuration and the surface the
// manager drives.
import type { RealmName, Transport } from '../config/schema.js';
import type { Destination, ListenerInfo } from './types.js';
import type { ReloadResult, TlsFiles } from './tls-context.js';
import type { TlsClientSettings } from './tls-client.js';

export type ClientCertMode = 'none' | 'request' | 'require';

/** A listener entry with every default applied and every path made absolute. */
export interface ResolvedListener {
  readonly id: string;
  readonly realm: RealmName;
  readonly transport: Transport;
  /** An IP literal (host names are resolved before binding). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly advertise: string;
  readonly tls?: { readonly files: TlsFiles; readonly clientCert: ClientCertMode; readonly client: TlsClientSettings };
}

export interface Listener {
  readonly info: ListenerInfo;
  send(dest: Destination, data: Buffer): boolean;
  /** For tls listeners; others answer ok. */
  reloadTls(): Promise<ReloadResult>;
  close(): Promise<void>;
}
