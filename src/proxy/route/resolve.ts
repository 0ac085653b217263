// RFC 3263 client resolution: from the host part of a SIP(S) URI to the ordered
// list of (address, port, transport) to try. The core walks the list on timeout,
// 503 or transport error, so the order carries the operator's intent: NAPTR order
// and preference, then SRV priority and weight (RFC 2782), then each name's
// addresses.

import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import type { NaptrRecord } from 'node:dns';
import { createDnsCache, type DnsCache, type DnsCacheOptions, type DnsResolver } from './dns-cache.js';
import { DEFAULT_PORT, type Hop, type Random, type Transport, type UriTarget } from './types.js';
import { orderWeighted } from './weighted.js';

export type { DnsResolver } from './dns-cache.js';

export interface SipResolverOptions extends Omit<DnsCacheOptions, 'resolver'> {
  /** default: a `node:dns/promises` Resolver using the system's servers */
  readonly resolver?: DnsResolver;
  /**
   * Transports we can send on, in the order tried when DNS offers several without
   * NAPTR to rank them (RFC 3263 §4.1 leaves that order to the client).
   * Default ['udp', 'tcp', 'tls'].
   */
  readonly transports?: readonly Transport[];
  /** look up AAAA records too; default true */
  readonly ipv6?: boolean;
  /** put IPv6 addresses before IPv4 ones of the same name; default false */
  readonly preferIpv6?: boolean;
  /** longest list returned, and most SRV targets followed per query: DNS data must not make us do unbounded work; default 16 */
  readonly maxHops?: number;
  readonly random?: Random;
}

export interface SipResolver {
  /** Hops to try in order; empty when nothing resolves (the core answers 503 or 604). Never rejects. */
  resolve(target: UriTarget): Promise<Hop[]>;
  /** Forgets every cached answer (e.g. after a config reload). */
  clear(): void;
}

// RFC 3263 §4.1: NAPTR services and the SRV prefixes that go with each transport.
const NAPTR_SERVICE: Readonly<Record<string, Transport>> = {
  'SIP+D2U': 'udp',
  'SIP+D2T': 'tcp',
  'SIPS+D2T': 'tls',
};
const SRV_PREFIX: Readonly<Record<Transport, string>> = {
  udp: '_sip._udp.',
  tcp: '_sip._tcp.',
  tls: '_sips._tcp.',
};

export function createSipResolver(opts: SipResolverOptions = {}): SipResolver {
  const dns: DnsCache = createDnsCache({ ...opts, resolver: opts.resolver ?? new Resolver({ timeout: 2000, tries: 2 }) });
  const supported = opts.transports ?? ['udp', 'tcp', 'tls'];
  const ipv6 = opts.ipv6 ?? true;
  const maxHops = Math.max(1, opts.maxHops ?? 16);
  const random = opts.random ?? Math.random;

  async function addresses(name: string): Promise<string[]> {
    const [v4, v6] = await Promise.all([dns.a(name), ipv6 ? dns.aaaa(name) : Promise.resolve([])]);
    return opts.preferIpv6 ? [...v6, ...v4] : [...v4, ...v6];
  }

  async function hostHops(name: string, port: number, transport: Transport): Promise<Hop[]> {
    return (await addresses(name)).map((address) => ({ address, port, transport }));
  }

  /** SRV records of `name` in RFC 2782 order, each target expanded to its addresses. */
  async function srvHops(name: string, transport: Transport): Promise<Hop[]> {
    const records = await dns.srv(name);
    // RFC 2782: a lone "." target says the service is decidedly not available here.
    const usable = records.filter((r) => r.name !== '' && r.name !== '.');
    const ordered = orderWeighted(usable, random).slice(0, maxHops);
    const expanded = await Promise.all(ordered.map((r) => hostHops(r.name, r.port, transport)));
    return expanded.flat();
  }

  /** RFC 3263 §4.2 for a known transport without a port: SRV, else A/AAAA on the default port. */
  async function byTransport(host: string, transport: Transport): Promise<Hop[]> {
    const viaSrv = await srvHops(SRV_PREFIX[transport] + host, transport);
    return viaSrv.length > 0 ? viaSrv : hostHops(host, DEFAULT_PORT[transport], transport);
  }

  async function viaNaptr(host: string, secure: boolean): Promise<Hop[]> {
    const records = usableNaptr(await dns.naptr(host), secure, supported);
    const out: Hop[] = [];
    for (const { record, transport } of records) {
      // Each NAPTR replacement is the SRV name to query (flag "s").
      out.push(...(await srvHops(record.replacement, transport)));
      if (out.length >= maxHops) break;
    }
    return out;
  }

  async function resolve(target: UriTarget): Promise<Hop[]> {
    const host = normalizeHost(target.host);
    if (host === '') return [];
    // A sips: URI needs TLS on this hop whatever the transport parameter says.
    const explicit: Transport | undefined = target.secure ? 'tls' : target.transport;
    const fallback: Transport = target.secure ? 'tls' : 'udp';

    if (isIP(host) !== 0) {
      const transport = explicit ?? fallback;
      return [{ address: host, port: target.port ?? DEFAULT_PORT[transport], transport }];
    }
    if (target.port !== undefined) return hostHops(host, target.port, explicit ?? fallback);
    if (explicit) return byTransport(host, explicit);

    const naptr = await viaNaptr(host, target.secure);
    if (naptr.length > 0) return naptr;

    // No usable NAPTR: ask for every transport we support and keep those that exist.
    const candidates = target.secure ? supported.filter((t) => t === 'tls') : supported;
    const perTransport = await Promise.all(candidates.map((t) => srvHops(SRV_PREFIX[t] + host, t)));
    const srv = perTransport.flat();
    if (srv.length > 0) return srv;

    return hostHops(host, DEFAULT_PORT[fallback], fallback);
  }

  return {
    async resolve(target) {
      try {
        return dedupe(await resolve(target)).slice(0, maxHops);
      } catch {
        // The cache turns DNS errors into empty answers; this is a last guard so a
        // resolver bug becomes "unreachable" for one call, never a crashed process.
        return [];
      }
    },
    clear: dns.clear,
  };
}

/** NAPTR records RFC 3263 lets us use, best first: flag "s", a SIP service we support. */
function usableNaptr(
  records: readonly NaptrRecord[],
  secure: boolean,
  supported: readonly Transport[],
): { record: NaptrRecord; transport: Transport }[] {
  const out: { record: NaptrRecord; transport: Transport }[] = [];
  for (const record of records) {
    if (record.flags.toLowerCase() !== 's' || record.replacement === '' || record.replacement === '.') continue;
    const transport = NAPTR_SERVICE[record.service.toUpperCase()];
    if (!transport || !supported.includes(transport)) continue;
    // A SIPS URI may only be reached over TLS (RFC 3263 §4.1).
    if (secure && transport !== 'tls') continue;
    out.push({ record, transport });
  }
  return out.sort((a, b) => a.record.order - b.record.order || a.record.preference - b.record.preference);
}

/** IPv6 references arrive bracketed from URIs; names compare without case or a root dot. */
function normalizeHost(host: string): string {
  let h = host.trim();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.') && isIP(h) === 0) h = h.slice(0, -1);
  return h.toLowerCase();
}

function dedupe(hops: readonly Hop[]): Hop[] {
  const seen = new Set<string>();
  const out: Hop[] = [];
  for (const h of hops) {
    const key = `${h.transport}/${h.address}/${h.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(h);
  }
  return out;
}
