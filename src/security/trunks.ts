// Who is calling: the trunk table built from config. By address (CIDR trie,
// longest prefix wins, optional port/transport/TLS subject), by TLS subject alone,
// or by digest username. Everything is computed when the config loads (HA1s
// included) so that a look-up costs the same for a known and an unknown user.

import type { PalisadeConfig } from '../config/schema.js';
import { ha1 } from './digest/index.js';
import type { Algorithm } from './digest/index.js';
import { createCidrTrie, type CidrTrie } from './cidr.js';
import type { PacketSource } from './types.js';

type TrunkConfig = PalisadeConfig['trunks'][number];

export interface TrunkInfo {
  readonly id: string;
  readonly config: TrunkConfig;
  /** algorithms this trunk may authenticate with */
  readonly algorithms: readonly Algorithm[];
  /** HA1 per hash family, for security.auth.realm */
  readonly ha1: ReadonlyMap<string, string>;
  /** the TLS subject constraint, parsed: field → value (CN when written bare) */
  readonly subject?: ReadonlyMap<string, string>;
}

interface SourceEntry {
  trunk: TrunkInfo;
  port: number | undefined;
  transport: string | undefined;
}

export interface TrunkTable {
  readonly trunks: ReadonlyMap<string, TrunkInfo>;
  /** the trunk a source belongs to by address or certificate, and how it was recognised */
  identify(source: PacketSource): { trunk: TrunkInfo; by: 'ip' | 'tls' } | undefined;
  /** the trunk whose inbound digest username this is */
  byUsername(username: string): TrunkInfo | undefined;
  /** per-trunk packet limits for a source address, for the flood buckets */
  packetLimits(address: string): { rate: number; burst: number } | undefined;
  /** HA1 look-up for verifyCredentials */
  ha1For(username: string, realm: string, algorithm: Algorithm): string | undefined;
}

const FAMILY: Record<Algorithm, 'md5' | 'sha256' | 'sha512_256'> = {
  'MD5': 'md5',
  'MD5-sess': 'md5',
  'SHA-256': 'sha256',
  'SHA-256-sess': 'sha256',
  'SHA-512-256': 'sha512_256',
  'SHA-512-256-sess': 'sha512_256',
};

/** "pbx.example.com" → CN; "CN=pbx.example.com, O=Example" → both fields. */
export function parseSubject(s: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!s.includes('=')) {
    out.set('CN', s.trim());
    return out;
  }
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim().toUpperCase(), part.slice(eq + 1).trim());
  }
  return out;
}

function subjectMatches(want: ReadonlyMap<string, string>, source: PacketSource): boolean {
  // Only a certificate that verified against our CA counts; an unverified subject is just text.
  if (source.transport !== 'tls' || source.peerAuthorized !== true) return false;
  const subj = source.peerCertificate?.subject;
  if (subj === undefined) return false;
  for (const [k, v] of want) {
    const got = subj[k];
    const values = Array.isArray(got) ? got : got === undefined ? [] : [got];
    if (!values.includes(v)) return false;
  }
  return true;
}

export function createTrunkTable(config: PalisadeConfig): TrunkTable {
  const realm = config.security.auth.realm;
  const challenged = config.security.auth.algorithms;
  const trunks = new Map<string, TrunkInfo>();
  const users = new Map<string, TrunkInfo>();
  const trie: CidrTrie<SourceEntry> = createCidrTrie();
  const subjectOnly: TrunkInfo[] = [];

  for (const t of config.trunks) {
    const hashes = new Map<string, string>();
    const a = t.auth;
    if (a !== undefined) {
      if (a.password !== undefined) {
        hashes.set('md5', ha1('MD5', a.username, realm, a.password));
        hashes.set('sha256', ha1('SHA-256', a.username, realm, a.password));
        hashes.set('sha512_256', ha1('SHA-512-256', a.username, realm, a.password));
      }
      for (const [k, v] of Object.entries(a.ha1 ?? {})) if (v !== undefined) hashes.set(k, v.toLowerCase());
    }
    const info: TrunkInfo = {
      id: t.id,
      config: t,
      algorithms: a?.algorithms ?? challenged,
      ha1: hashes,
      ...(t.tlsSubject !== undefined ? { subject: parseSubject(t.tlsSubject) } : {}),
    };
    trunks.set(t.id, info);
    if (a !== undefined) {
      // Two trunks answering to one username would make the caller's trunk a coin toss.
      if (users.has(a.username)) throw new RangeError(`trunks ${users.get(a.username)!.id} and ${t.id} share the digest username ${a.username}`);
      users.set(a.username, info);
    }
    for (const s of t.sources) trie.insert(s.cidr, { trunk: info, port: s.port, transport: s.transport });
    if (t.sources.length === 0 && info.subject !== undefined) subjectOnly.push(info);
  }

  return {
    trunks,
    identify(source) {
      const e = trie.lookup(
        source.remoteAddress,
        (v) =>
          (v.port === undefined || v.port === source.remotePort) &&
          (v.transport === undefined || v.transport === source.transport) &&
          (v.trunk.subject === undefined || subjectMatches(v.trunk.subject, source)),
      );
      if (e !== undefined) return { trunk: e.trunk, by: e.trunk.subject !== undefined ? 'tls' : 'ip' };
      if (source.transport === 'tls' && source.peerAuthorized === true) {
        for (const t of subjectOnly) if (subjectMatches(t.subject!, source)) return { trunk: t, by: 'tls' };
      }
      return undefined;
    },
    byUsername(username) {
      return users.get(username);
    },
    packetLimits(address) {
      const e = trie.lookup(address);
      const l = e?.trunk.config.limits;
      if (l?.packetRate === undefined && l?.packetBurst === undefined) return undefined;
      const rate = l.packetRate ?? config.security.flood.packets.rate;
      return { rate, burst: l.packetBurst ?? Math.max(config.security.flood.packets.burst, Math.ceil(rate * 2)) };
    },
    ha1For(username, r, algorithm) {
      if (r !== realm) return undefined;
      return users.get(username)?.ha1.get(FAMILY[algorithm]);
    },
  };
}
