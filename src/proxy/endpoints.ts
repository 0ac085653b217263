// Palisade's own presence on each realm: which listener sends to a hop, and the Via,
// Contact and branch it writes. Nothing here names the other realm.
import { randomBytes } from 'node:crypto';
import { randomToken } from './random.js';
import { isIPv6 } from 'node:net';
import type { RealmName, Transport } from '../config/schema.js';
import type { ListenerInfo } from '../transport/types.js';
import type { Flow } from './dialogs.js';

export interface Endpoints {
  /** The listener of `realm` to send to `address` over `transport` (same IP family preferred). */
  listenerFor(realm: RealmName, transport: Transport, address: string): ListenerInfo | undefined;
  byId(id: string): ListenerInfo | undefined;
  /** Some listener of `realm` (UDP first): where that side can reach us when no flow says which. */
  anyOf(realm: RealmName): ListenerInfo | undefined;
  /** A fresh RFC 3261 branch carrying this instance's prefix, for loop detection. */
  branch(): string;
  isOurBranch(branch: string | undefined): boolean;
  via(l: ListenerInfo, branch: string): string;
  /** A Contact URI at this listener, with `user` as its user part. */
  contact(l: ListenerInfo, user: string): string;
}

export function hostPort(host: string, port: number): string {
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

export function createEndpoints(listeners: readonly ListenerInfo[]): Endpoints {
  const ids = new Map(listeners.map((l) => [l.id, l]));
  // 'z9hG4bK' magic cookie + 'P' + a per-process prefix: a request that comes back
  // carrying one of our branches has looped through us.
  const prefix = `z9hG4bKP${randomBytes(3).toString('hex')}`;
  return {
    listenerFor(realm, transport, address) {
      const v6 = isIPv6(address);
      let fallback: ListenerInfo | undefined;
      for (const l of listeners) {
        if (l.realm !== realm || l.transport !== transport) continue;
        const lv6 = isIPv6(l.address) || l.address === '::';
        if (lv6 === v6 || l.address === '::') return l;
        fallback ??= l;
      }
      return fallback;
    },
    byId: (id) => ids.get(id),
    anyOf: (realm) => listeners.find((l) => l.realm === realm && l.transport === 'udp') ?? listeners.find((l) => l.realm === realm),
    // unpredictable, so nobody off-path can forge a response that matches our transaction
    branch: () => `${prefix}.${randomToken(9)}`,
    isOurBranch: (b) => b !== undefined && b.startsWith(prefix),
    via: (l, branch) => `SIP/2.0/${l.transport.toUpperCase()} ${hostPort(l.advertise, l.port)};branch=${branch};rport`,
    contact: (l, user) => `sip:${user}@${hostPort(l.advertise, l.port)}${l.transport === 'udp' ? '' : `;transport=${l.transport}`}`,
  };
}

export function flowTo(l: ListenerInfo, address: string, port: number, connectionId?: number): Flow {
  return { listenerId: l.id, remoteAddress: address, remotePort: port, connectionId, transport: l.transport };
}
