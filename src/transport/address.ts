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

/**
 * The form a socket reports an address in (IPv6 compressed, lower case; IPv4-mapped
 * unmapped), so a destination written differently still finds its open connection.
 * Undefined when `address` is not an IP literal.
 */
export function canonicalAddress(address: string): string | undefined {
  const v = isIP(address);
  if (v === 4) return address;
  if (v !== 6) return undefined;
  // Zone ids (fe80::1%eth0) are not URL-parseable; keep them as given.
  if (address.includes('%')) return address.toLowerCase();
  const host = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  // The URL parser writes a mapped IPv4 address in hex (::ffff:c000:201).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped === null) return host;
  const hi = parseInt(mapped[1] ?? '0', 16);
  const lo = parseInt(mapped[2] ?? '0', 16);
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** Whether a listener bound to `bound` (its family `family`) can reach `remote`. */
export function reachableFrom(bound: string, family: 4 | 6, remote: string): boolean {
  const v = isIP(remote);
  if (family === 4) return v === 4;
  // "::" is dual-stack (Node does not set IPV6_V6ONLY); a specific IPv6 address is not.
  return bound === '::' || v === 6;
}

/** The local address to connect from: none for a wildcard listener, so the OS picks by route. */
export function connectFrom(bound: string): string | undefined {
  return bound === '0.0.0.0' || bound === '::' ? undefined : bound;
}
