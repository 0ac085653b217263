// The digest arithmetic (RFC 7616 §3.4.1–3.4.3, RFC 2617 §3.2.2, RFC 8760 §2):
// HA1, HA2 and the response, for every algorithm SIP may use.

import { hash as oneShot } from 'node:crypto';
import type { Algorithm, DigestInput, HashName } from './types.js';

interface AlgorithmInfo {
  name: Algorithm;
  hash: HashName;
  sess: boolean;
  /** Higher is stronger; -sess ranks with its family (it changes who computes HA1, not the strength). */
  rank: number;
}

const NODE_HASH: Record<HashName, string> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };
const HEX_LENGTH: Record<HashName, number> = { 'MD5': 32, 'SHA-256': 64, 'SHA-512-256': 64 };

const INFO: Record<Algorithm, AlgorithmInfo> = {
  'SHA-512-256': { name: 'SHA-512-256', hash: 'SHA-512-256', sess: false, rank: 3 },
  'SHA-512-256-sess': { name: 'SHA-512-256-sess', hash: 'SHA-512-256', sess: true, rank: 3 },
  'SHA-256': { name: 'SHA-256', hash: 'SHA-256', sess: false, rank: 2 },
  'SHA-256-sess': { name: 'SHA-256-sess', hash: 'SHA-256', sess: true, rank: 2 },
  'MD5': { name: 'MD5', hash: 'MD5', sess: false, rank: 1 },
  'MD5-sess': { name: 'MD5-sess', hash: 'MD5', sess: true, rank: 1 },
};
const ALGORITHMS: readonly AlgorithmInfo[] = Object.values(INFO);

/** Every supported algorithm, strongest first. */
export const ALL_ALGORITHMS: readonly Algorithm[] = ALGORITHMS.map((a) => a.name);

// Keyed by the lowercase name: carriers write 'md5' as often as 'MD5', and tokens compare case-insensitively.
const BY_LOWER = new Map<string, AlgorithmInfo>(ALGORITHMS.map((a) => [a.name.toLowerCase(), a]));

export function algorithmInfo(a: Algorithm): AlgorithmInfo {
  return INFO[a];
}

/** The canonical Algorithm for a wire token, or undefined if we cannot compute it. */
export function parseAlgorithm(token: string | undefined): Algorithm | undefined {
  // RFC 2617 §3.2.1: an absent algorithm means MD5.
  if (token === undefined) return 'MD5';
  return BY_LOWER.get(token.toLowerCase())?.name;
}

export function hexLength(a: Algorithm): number {
  return HEX_LENGTH[algorithmInfo(a).hash];
}

/**
 * H(data) as lowercase hex (a string is hashed as UTF-8). crypto.hash (Node ≥ 20.12,
 * which `engines` requires) is one native call without the Hash object createHash
 * builds each time; a digest check makes three or four on the signalling thread.
 */
export function hashHex(hash: HashName, data: string | Buffer): string {
  return oneShot(NODE_HASH[hash], data, 'hex');
}

/**
 * HA1 = H(username:realm:password) for the algorithm's hash. For -sess algorithms
 * this is the stored, per-user part; the per-nonce step happens in `digestResponse`,
 * so config can hold one HA1 per hash family.
 */
export function ha1(algorithm: Algorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithmInfo(algorithm).hash, `${username}:${realm}:${password}`);
}

/** RFC 7616 §3.4.4: the username sent when the server asked for userhash. */
export function userhash(algorithm: Algorithm, username: string, realm: string): string {
  return hashHex(algorithmInfo(algorithm).hash, `${username}:${realm}`);
}

/** The request-digest, lowercase hex. */
export function digestResponse(d: DigestInput): string {
  const info = algorithmInfo(d.algorithm);
  const H = (s: string | Buffer): string => hashHex(info.hash, s);
  const cnonce = d.cnonce ?? '';
  // RFC 7616 §3.4.2: -sess mixes the nonces into HA1 so a third party can hold it for one session only.
  const a1 = info.sess ? H(`${d.ha1.toLowerCase()}:${d.nonce}:${cnonce}`) : d.ha1.toLowerCase();
  const a2 = d.qop === 'auth-int' ? `${d.method}:${d.uri}:${H(d.body ?? Buffer.alloc(0))}` : `${d.method}:${d.uri}`;
  const ha2 = H(a2);
  // RFC 2069 compatibility (RFC 2617 §3.2.2.1): without qop, no cnonce or nc enter the hash.
  if (d.qop === undefined) return H(`${a1}:${d.nonce}:${ha2}`);
  return H(`${a1}:${d.nonce}:${d.nc ?? ''}:${cnonce}:${d.qop}:${ha2}`);
}
