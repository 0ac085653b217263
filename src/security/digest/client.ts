// The client side: Palisade answering a carrier's 401/407 with a trunk's
// outbound credentials (RFC 3261 §22.2–22.3, RFC 7616 §3.4, RFC 8760 §2.4).

import { randomBytes } from 'node:crypto';
import { formatDigestParams } from '../../sip/digest.js';
import { ALL_ALGORITHMS, algorithmInfo, digestResponse, ha1 as computeHa1, hexLength, parseAlgorithm, userhash } from './hash.js';
import { isTrue, qopOptions, readDigest } from './params.js';
import type { Algorithm, HashName, Qop } from './types.js';

export interface ClientRequest {
  method: string;
  /** The Request-URI of the request being retried; it becomes the digest-uri. */
  uri: string;
  /** For qop=auth-int. */
  body?: Buffer;
}

export interface ClientCredentials {
  username: string;
  password?: string;
  /** Precomputed H(username:realm:password), for one hash family (see ha1Algorithm). */
  ha1?: string;
  /** Which family `ha1` belongs to; default by length: 32 hex digits MD5, 64 SHA-256. */
  ha1Algorithm?: Algorithm;
  /** If set, only a challenge for this realm is answered (never hand a password to a stranger realm). */
  realm?: string;
}

export interface ClientOptions {
  cnonce?: () => string;
  /** Algorithms we agree to use; default every supported one. */
  allowed?: readonly Algorithm[];
  /** Nonce-count to send; default 1, right for a nonce seen for the first time. */
  nc?: number;
}

export type AnswerResult =
  | { header: string; algorithm: Algorithm; realm: string; nonce: string; qop?: Qop }
  | { error: string };

interface Candidate {
  algorithm: Algorithm;
  realm: string;
  nonce: string;
  opaque?: string;
  /** undefined means the challenge offered no qop (RFC 2069 compatibility). */
  qop?: Qop;
  userhash: boolean;
  explicitAlgorithm: boolean;
}

/**
 * Picks the strongest challenge we may answer and writes the Authorization /
 * Proxy-Authorization value for it. Errors come back as values: a carrier's odd
 * challenge must not throw inside the proxy.
 */
export function answerChallenge(
  challenges: readonly string[],
  req: ClientRequest,
  cred: ClientCredentials,
  opts: ClientOptions = {},
): AnswerResult {
  const allowed = opts.allowed ?? ALL_ALGORITHMS;
  const ha1Family = cred.ha1 !== undefined ? ha1FamilyOf(cred) : undefined;
  if (cred.password === undefined && cred.ha1 === undefined) return { error: 'no password or ha1 for this trunk' };

  let best: Candidate | undefined;
  const refused: string[] = [];
  let sawDigest = false;
  for (const value of challenges) {
    const c = readCandidate(value);
    if (c === 'not-digest') continue;
    sawDigest = true;
    if (typeof c === 'string') {
      refused.push(c);
      continue;
    }
    if (cred.realm !== undefined && c.realm !== cred.realm) {
      refused.push(`realm "${c.realm}" is not the trunk's`);
      continue;
    }
    if (!allowed.includes(c.algorithm)) {
      refused.push(`algorithm ${c.algorithm} not allowed`);
      continue;
    }
    // Without the password we can only answer in the family the stored HA1 was made for.
    if (cred.password === undefined && algorithmInfo(c.algorithm).hash !== ha1Family) {
      refused.push(`algorithm ${c.algorithm} needs a password (ha1 is for ${ha1Family ?? 'an unknown algorithm'})`);
      continue;
    }
    // Strictly stronger only: among equals the server's own order (its preference) wins.
    if (best === undefined || algorithmInfo(c.algorithm).rank > algorithmInfo(best.algorithm).rank) best = c;
  }
  if (best === undefined) {
    if (!sawDigest) return { error: 'no Digest challenge' };
    return { error: `no acceptable challenge: ${refused.join('; ')}` };
  }

  const ha1 = cred.password !== undefined ? computeHa1(best.algorithm, cred.username, best.realm, cred.password) : (cred.ha1 as string);
  const cnonce = best.qop !== undefined ? (opts.cnonce ?? defaultCnonce)() : undefined;
  const nc = best.qop !== undefined ? (opts.nc ?? 1).toString(16).padStart(8, '0') : undefined;
  const response = digestResponse({
    algorithm: best.algorithm,
    ha1,
    nonce: best.nonce,
    method: req.method,
    uri: req.uri,
    ...(best.qop !== undefined ? { qop: best.qop, cnonce, nc } : {}),
    ...(req.body !== undefined ? { body: req.body } : {}),
  });

  // Parameter order follows RFC 7616 §3.9.1; the formatter quotes all but algorithm, qop and nc.
  const params = new Map<string, string>();
  params.set('username', best.userhash ? userhash(best.algorithm, cred.username, best.realm) : cred.username);
  params.set('realm', best.realm);
  params.set('nonce', best.nonce);
  params.set('uri', req.uri);
  params.set('response', response);
  // Echo the algorithm only if the server named it: RFC 2069-era servers may not know the param.
  if (best.explicitAlgorithm) params.set('algorithm', best.algorithm);
  if (cnonce !== undefined) params.set('cnonce', cnonce);
  if (best.opaque !== undefined) params.set('opaque', best.opaque);
  if (best.qop !== undefined && nc !== undefined) {
    params.set('qop', best.qop);
    params.set('nc', nc);
  }
  if (best.userhash) params.set('userhash', 'true');
  const header = formatDigestParams({ scheme: 'Digest', params }, 'credentials');
  return { header, algorithm: best.algorithm, realm: best.realm, nonce: best.nonce, ...(best.qop !== undefined ? { qop: best.qop } : {}) };
}

/** A usable challenge, 'not-digest' for other schemes, or a reason string for a Digest one we cannot use. */
function readCandidate(value: string): Candidate | 'not-digest' | string {
  const d = readDigest(value);
  if (d === undefined) {
    // Tell a Basic/Bearer challenge (ignored) from a broken Digest one (worth reporting).
    return /^\s*digest(\s|$)/i.test(value) ? 'unparseable Digest challenge' : 'not-digest';
  }
  const p = d.params;
  const realm = p.get('realm');
  const nonce = p.get('nonce');
  if (realm === undefined || nonce === undefined) return 'challenge without realm or nonce';
  const algRaw = p.get('algorithm');
  const algorithm = parseAlgorithm(algRaw);
  if (algorithm === undefined) return `unsupported algorithm ${algRaw ?? ''}`;
  const offered = p.get('qop');
  let qop: Qop | undefined;
  if (offered !== undefined) {
    const options = qopOptions(offered);
    // auth over auth-int: the same protection of the credentials, without hashing the body.
    qop = options.includes('auth') ? 'auth' : options.includes('auth-int') ? 'auth-int' : undefined;
    if (qop === undefined) return `unsupported qop "${offered}"`;
  } else if (algorithmInfo(algorithm).sess) {
    return `${algorithm} without qop`; // -sess needs a cnonce, which only exists with qop
  }
  const c: Candidate = { algorithm, realm, nonce, userhash: isTrue(p.get('userhash')), explicitAlgorithm: algRaw !== undefined };
  const opaque = p.get('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  if (qop !== undefined) c.qop = qop;
  return c;
}

function ha1FamilyOf(cred: ClientCredentials): HashName | undefined {
  if (cred.ha1Algorithm !== undefined) return algorithmInfo(cred.ha1Algorithm).hash;
  const len = cred.ha1?.length;
  if (len === hexLength('MD5')) return 'MD5';
  if (len === hexLength('SHA-256')) return 'SHA-256';
  return undefined;
}

function defaultCnonce(): string {
  return randomBytes(16).toString('hex');
}
