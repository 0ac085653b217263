// Address helpers shared by the UDP and stream listeners.
import { isIP } from 'node:net';
import type { ListenerConfig, RealmName, Transport } from '../config/schema.js';

const MAPPED_PREFIX = '::ffff:';

/** Reports an IPv4-mapped IPv6 address (seen on dual-stack "::" sockets) as plain IPv4. */
export function unmapAddress(address: string): string {
  if (address.length > MAPPED_PREFIX.length && address.charCodeAt(0) === 0x3a && address.toLowerCase().startsWith(MAPPED_PREFIX)) {
    const v4 = address.slice(MAPPED_PREFIX.length);
    if (isIP(v4) === 4) return v4;
  }
  return address;
}

/** The inverse, for sending to an IPv4 peer from an IPv6 socket. */
export function mapForFamily(address: string, socketFamily: 4 | 6): string {
  return socketFamily === 6 && isIP(address) === 4 ? MAPPED_PREFIX + address : address;
}

export function defaultPort(transport: Transport): number {
  return transport === 'tls' ? 5061 : 5060;
}

/** `${realm}-${transport}-${address}-${port}` with every character the id schema refuses replaced. */
export function defaultListenerId(realm: RealmName, l: ListenerConfig): string {
  const port = l.port ?? defaultPort(l.transport);
  return `${realm}-${l.transport}-${l.address}-${port}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
}

/** Makes ids unique (two listeners both on port 0 would otherwise share one). */
export function uniqueIds(ids: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id}-${n}`;
  });
}
