// An in-memory DNS for resolver tests: records by type and name, a count of
// queries, and errors coded like node:dns ones (ENODATA when a name has no
// record of the type, ENOTFOUND when the name does not exist at all).
import type { NaptrRecord, RecordWithTtl, SrvRecord } from 'node:dns';
import type { DnsResolver } from '../../../src/proxy/route/dns-cache.js';

export interface Zone {
  naptr?: Record<string, NaptrRecord[]>;
  srv?: Record<string, SrvRecord[]>;
  a?: Record<string, RecordWithTtl[]>;
  aaaa?: Record<string, RecordWithTtl[]>;
  /** names whose every query fails with this code (e.g. ETIMEOUT) */
  failing?: Record<string, string>;
}

export interface FakeDns extends DnsResolver {
  queries: string[];
}

function dnsError(code: string, name: string): Error {
  return Object.assign(new Error(`${code} ${name}`), { code, hostname: name });
}

export function fakeDns(zone: Zone): FakeDns {
  const queries: string[] = [];
  const names = new Set<string>();
  for (const table of [zone.naptr, zone.srv, zone.a, zone.aaaa]) for (const n of Object.keys(table ?? {})) names.add(n);
  function answer<T>(type: string, table: Record<string, T[]> | undefined, name: string): Promise<T[]> {
    queries.push(`${type} ${name}`);
    const failure = zone.failing?.[name];
    if (failure) return Promise.reject(dnsError(failure, name));
    const found = table?.[name];
    if (found && found.length > 0) return Promise.resolve(found.map((r) => ({ ...r })));
    return Promise.reject(dnsError(names.has(name) ? 'ENODATA' : 'ENOTFOUND', name));
  }
  return {
    queries,
    resolveNaptr: (n) => answer('NAPTR', zone.naptr, n),
    resolveSrv: (n) => answer('SRV', zone.srv, n),
    resolve4: (n) => answer('A', zone.a, n),
    resolve6: (n) => answer('AAAA', zone.aaaa, n),
  };
}

export const naptr = (order: number, preference: number, service: string, replacement: string): NaptrRecord => ({
  flags: 's',
  service,
  regexp: '',
  replacement,
  order,
  preference,
});
export const srv = (priority: number, weight: number, port: number, name: string): SrvRecord => ({ priority, weight, port, name });
export const addr = (address: string, ttl = 300): RecordWithTtl => ({ address, ttl });
