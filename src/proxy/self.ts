// Which Request-URI hosts mean "this SBC": every listener's bound and advertised
// address, the realm's configured host names, and for wildcard binds every local
// interface address.
import { networkInterfaces } from 'node:os';
import type { RealmConfig } from '../config/schema.js';
import type { ListenerInfo } from '../transport/types.js';

export type SelfMatcher = (host: string) => boolean;

export function createSelfMatcher(listeners: readonly ListenerInfo[], realms: readonly RealmConfig[]): SelfMatcher {
  const names = new Set<string>();
  const add = (h: string) => names.add(normalizeHost(h));
  let wildcard = false;
  for (const l of listeners) {
    add(l.address);
    add(l.advertise);
    if (l.address === '0.0.0.0' || l.address === '::') wildcard = true;
  }
  for (const r of realms) for (const h of r.hostnames) add(h);
  if (wildcard) {
    for (const list of Object.values(networkInterfaces())) {
      for (const ni of list ?? []) add(ni.address);
    }
  }
  return (host) => names.has(normalizeHost(host));
}

/** Lower-case, without IPv6 brackets or a trailing dot, so "[::1]", "::1" and "LocalHost." compare as they should. */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}
