// The server side: challenging callers and verifying their credentials
// (RFC 3261 §22.2–22.3, RFC 7616 §3.3–3.4, RFC 8760 §2.4).

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { formatDigestParams } from '../../sip/digest.js';
import { ALL_ALGORITHMS, algorithmInfo, digestResponse, hashHex, parseAlgorithm } from './hash.js';
import { isTrue, parseNc, readDigest, type DigestParams } from './params.js';
import type { Algorithm, HashName, NcTracker, NonceManager, Qop } from './types.js';

export interface ChallengeOptions {
  realm: string;
  /** Strongest first; one challenge is written per entry, in this order. */
  algorithms: readonly Algorithm[];
  nonce: string;
  opaque?: string;
  /** Set when the caller's response was right but its nonce had expired (RFC 7616 §3.3). */
  stale?: boolean;
}

export interface Ha1Lookup {
  /**
   * HA1 = H(username:realm:password) in lowercase hex for the algorithm's hash family
   * (the same for X and X-sess), or undefined if the user is unknown here.
   */
  ha1For(username: string, realm: string, algorithm: Algorithm): string | undefined;
}

export interface VerifyRequest {
  method: string;
  /** The Request-URI as received; the digest-uri must equal it. */
  uri: string;
  /** For qop=auth-int; absent means an empty body. */
  body?: Buffer;
}

export interface VerifyOptions {
  /** Algorithms accepted from callers; default every supported one. Usually the list the challenges offered. */
  algorithms?: readonly Algorithm[];
}

export type FailReason = 'unknown_user' | 'bad_response' | 'bad_nonce' | 'replay' | 'algorithm' | 'realm' | 'uri' | 'malformed';

/**
 * 'unknown_user' and 'bad_response' are for logs and metrics only: the answer on the
 * wire must be the same for both, or usernames can be enumerated.
 */
export type VerifyResult = { result: 'ok'; username: string } | { result: 'stale' } | { result: 'fail'; reason: FailReason };

/** One WWW-Authenticate / Proxy-Authenticate value per algorithm, strongest first (RFC 8760 §2.4). */
export function buildChallenges(o: ChallengeOptions): string[] {
  return o.algorithms.map((algorithm) => {
    const params = new Map<string, string>([
      ['realm', o.realm],
      ['nonce', o.nonce],
    ]);
    if (o.opaque !== undefined) params.set('opaque', o.opaque);
    if (o.stale === true) params.set('stale', 'true');
    params.set('algorithm', algorithm);
    // Only auth: auth-int would make every caller hash the SDP for little gain, and
    // qop at all keeps RFC 2069-style responses (no cnonce, no nc, no replay guard) out.
    params.set('qop', 'auth');
    return formatDigestParams({ scheme: 'Digest', params }, 'challenge');
  });
}

// Stand-ins for the HA1 of a user who does not exist: random, so no password matches them,
// and of the real length, so the work done for an unknown user is the work done for a known one.
const DUMMY_HA1: Record<HashName, string> = {
  'MD5': hashHex('MD5', randomBytes(32)),
  'SHA-256': hashHex('SHA-256', randomBytes(32)),
  'SHA-512-256': hashHex('SHA-512-256', randomBytes(32)),
};

const FAIL = (reason: FailReason): VerifyResult => ({ result: 'fail', reason });

/**
 * Checks an Authorization / Proxy-Authorization value (already parsed, or raw) against a
 * request. Never throws on hostile input. The order of checks puts the cheap ones first
 * and records the nonce-count only once the response is proven right, so that strangers
 * cannot fill or poison the replay store.
 */
export async function verifyCredentials(
  creds: DigestParams | string,
  req: VerifyRequest,
  lookup: Ha1Lookup,
  nonces: NonceManager,
  source: string,
  realm: string,
  ncTracker: NcTracker,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const d = typeof creds === 'string' ? readDigest(creds) : creds;
  if (d === undefined || d.scheme.toLowerCase() !== 'digest') return FAIL('malformed');
  const p = d.params;
  const username = p.get('username');
  const credRealm = p.get('realm');
  const nonce = p.get('nonce');
  const uri = p.get('uri');
  const response = p.get('response');
  const cnonce = p.get('cnonce');
  const qopRaw = p.get('qop');
  if (username === undefined || credRealm === undefined || nonce === undefined || uri === undefined || response === undefined) {
    return FAIL('malformed');
  }
  // We never offer userhash, and its hashed name cannot be looked up without a reverse index.
  if (isTrue(p.get('userhash'))) return FAIL('malformed');

  const algorithm = parseAlgorithm(p.get('algorithm'));
  if (algorithm === undefined || !(opts.algorithms ?? ALL_ALGORITHMS).includes(algorithm)) return FAIL('algorithm');

  // Our challenges always carry qop, so a response without one (RFC 2069 style) has no
  // cnonce or nc and would be replayable: refuse it rather than downgrade.
  const qop = qopRaw?.toLowerCase();
  if (qop !== 'auth' && qop !== 'auth-int') return FAIL('malformed');
  const nc = parseNc(p.get('nc'));
  if (nc < 0 || cnonce === undefined || cnonce.length === 0) return FAIL('malformed');

  if (credRealm !== realm) return FAIL('realm');
  if (uri !== req.uri) return FAIL('uri');

  const nonceState = nonces.check(nonce, source, realm);
  if (nonceState === 'invalid') return FAIL('bad_nonce');

  const known = lookup.ha1For(username, realm, algorithm);
  const hash = algorithmInfo(algorithm).hash;
  const ha1 = known ?? DUMMY_HA1[hash];
  const expected = digestResponse({
    algorithm,
    ha1,
    nonce,
    method: req.method,
    uri,
    qop: qop as Qop,
    cnonce,
    nc: p.get('nc') as string,
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
  const match = constantTimeHexEqual(expected, response);
  if (known === undefined) return FAIL('unknown_user');
  if (!match) return FAIL('bad_response');

  // RFC 7616 §3.3: stale only when the digest itself was right, so the client retries silently.
  if (nonceState === 'stale') return { result: 'stale' };
  if (!(await ncTracker.checkAndRecord(nonce, nc))) return FAIL('replay');
  return { result: 'ok', username };
}

/** Equal-time comparison of our lowercase hex with the caller's (hex case is not significant). */
function constantTimeHexEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(given.toLowerCase(), 'latin1');
  // timingSafeEqual needs equal lengths; compare against ourselves so a wrong length costs the same.
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
