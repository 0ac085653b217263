// A caching layer over DNS lookups for the resolver. Every new call to a domain
// would otherwise cost up to five queries (NAPTR, three SRV, A/AAAA) before the
// INVITE leaves, so answers, including "no such record", are kept for their TTL.
// The cache is bounded and concurrent lookups of one name share one query, so a
// burst of calls to a new domain costs one round of DNS, not one per call.

import type { NaptrRecord, RecordWithTtl, SrvRecord } from 'node:dns';

/** The part of `node:dns/promises` `Resolver` that routing uses; tests pass a fake. */
export interface DnsResolver {
  resolveNaptr(hostname: string): Promise<NaptrRecord[]>;
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
  resolve4(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
  resolve6(hostname: string, options: { ttl: true }): Promise<RecordWithTtl[]>;
}

export interface DnsCacheOptions {
  readonly resolver: DnsResolver;
  /** for answers that carry no TTL (Node gives none for NAPTR and SRV); default 60 000 */
  readonly defaultTtlMs?: number;
  /** for "no such name / no such record" answers; default 30 000 */
  readonly negativeTtlMs?: number;
  /** no answer is kept longer than this, whatever its TTL says; default 3 600 000 */
  readonly maxTtlMs?: number;
  /** entries kept; the least recently used go first; default 1000 */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

export interface DnsCache {
  naptr(name: string): Promise<readonly NaptrRecord[]>;
  srv(name: string): Promise<readonly SrvRecord[]>;
  a(name: string): Promise<readonly string[]>;
  aaaa(name: string): Promise<readonly string[]>;
  clear(): void;
  readonly size: number;
}

interface Entry {
  readonly expires: number;
  readonly value: readonly unknown[];
}

// Answers that say the record does not exist: safe to remember. Anything else
// (timeout, SERVFAIL, refused) is a failure of the moment and is retried next time.
const NEGATIVE = new Set(['ENODATA', 'ENOTFOUND', 'ENONAME', 'NXDOMAIN']);

export function createDnsCache(opts: DnsCacheOptions): DnsCache {
  const defaultTtlMs = opts.defaultTtlMs ?? 60_000;
  const negativeTtlMs = opts.negativeTtlMs ?? 30_000;
  const maxTtlMs = opts.maxTtlMs ?? 3_600_000;
  const maxEntries = Math.max(1, opts.maxEntries ?? 1000);
  const now = opts.now ?? Date.now;
  const r = opts.resolver;

  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<readonly unknown[]>>();

  function put(key: string, value: readonly unknown[], ttlMs: number): void {
    if (!(ttlMs > 0)) return;
    entries.delete(key);
    entries.set(key, { expires: now() + Math.min(ttlMs, maxTtlMs), value });
    // Map iteration is insertion order, and hits re-insert: the first key is the LRU.
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  }

  function lookup<T>(type: string, name: string, query: () => Promise<T[]>, ttlOf: (v: T[]) => number): Promise<readonly T[]> {
    const key = `${type} ${name.toLowerCase()}`;
    const hit = entries.get(key);
    if (hit) {
      if (hit.expires > now()) {
        entries.delete(key);
        entries.set(key, hit);
        return Promise.resolve(hit.value as readonly T[]);
      }
      entries.delete(key);
    }
    const inFlight = pending.get(key);
    if (inFlight) return inFlight as Promise<readonly T[]>;
    const p = query().then(
      (value) => {
        put(key, value, value.length > 0 ? ttlOf(value) : negativeTtlMs);
        return value as readonly T[];
      },
      (err: unknown) => {
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && NEGATIVE.has(code)) put(key, [], negativeTtlMs);
        return [] as readonly T[];
      },
    );
    const shared = p.finally(() => pending.delete(key));
    pending.set(key, shared);
    return shared;
  }

  // Node reports address TTLs in seconds; the whole RRset lives as long as its shortest.
  const addressTtl = (v: RecordWithTtl[]): number => {
    let min = Infinity;
    for (const rec of v) if (typeof rec.ttl === 'number') min = Math.min(min, rec.ttl);
    return Number.isFinite(min) ? min * 1000 : defaultTtlMs;
  };
  // Fakes (and some resolvers) answer with bare strings; accept both shapes.
  const addresses = (v: readonly (RecordWithTtl | string)[]): string[] =>
    v.map((rec) => (typeof rec === 'string' ? rec : rec.address));

  return {
    naptr: (name) => lookup('NAPTR', name, () => r.resolveNaptr(name), () => defaultTtlMs),
    srv: (name) => lookup('SRV', name, () => r.resolveSrv(name), () => defaultTtlMs),
    a: async (name) => addresses(await lookup('A', name, () => r.resolve4(name, { ttl: true }), addressTtl)),
    aaaa: async (name) => addresses(await lookup('AAAA', name, () => r.resolve6(name, { ttl: true }), addressTtl)),
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
