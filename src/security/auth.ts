// Digest authentication of callers no trunk claims by address (RFC 3261 §22.1–22.3,
// RFC 7616, RFC 8760 §2.4): challenge, verify, count failures, ban. The wire answer
// to a failure never depends on why it failed, so an extension scan learns nothing:
// unknown user, wrong password, replay and a bad nonce all get the same fresh
// challenge (with stale=true only for a right answer on an expired nonce).

import type { SipMessage } from '../sip/message.js';
import type { Store } from '../state/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';
import {
  buildChallenges,
  createMemoryNcTracker,
  parseAlgorithm,
  readDigest,
  verifyCredentials,
  type Algorithm,
  type DigestParams,
  type NcTracker,
  type NonceManager,
} from './digest/index.js';
import type { TrunkInfo, TrunkTable } from './trunks.js';
import type { BanManager } from './bans.js';
import { reject, type Reject } from './types.js';

export interface AuthOptions {
  realm: string;
  algorithms: readonly Algorithm[];
  nonces: NonceManager;
  maxFailures: number;
  failureWindowMs: number;
  banTtlMs: number;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  bans: BanManager;
  now: () => number;
}

export type AuthOutcome =
  | { result: 'ok'; trunk: TrunkInfo; username: string }
  /** challenge: answer with this verdict (401/407); ban: the failure banned the source, drop */
  | { result: 'challenge'; verdict: Reject }
  | { result: 'banned' };

export interface DigestAuth {
  authenticate(msg: SipMessage, address: string, trunks: TrunkTable): Promise<AuthOutcome>;
}

/** The credentials meant for our realm, from the header the challenge asked for (or the other one). */
export function findCredentials(msg: SipMessage, realm: string): DigestParams | undefined {
  const first = msg.method === 'REGISTER' ? 'authorization' : 'proxy-authorization';
  const second = msg.method === 'REGISTER' ? 'proxy-authorization' : 'authorization';
  for (const name of [first, second]) {
    for (const line of msg.headerLines(name)) {
      const d = readDigest(line);
      if (d !== undefined && d.params.get('realm') === realm) return d;
    }
  }
  return undefined;
}

const clip = (s: string | undefined): string | undefined => (s === undefined ? undefined : s.length > 64 ? `${s.slice(0, 64)}…` : s);

export function createDigestAuth(o: AuthOptions): DigestAuth {
  const ncTtl = o.nonces.ttlMs + o.nonces.skewMs;
  // Used only when the store throws: replay protection degrades to this instance, never to none.
  const localNc = createMemoryNcTracker({ ttlMs: ncTtl, now: o.now });
  const nc: NcTracker = {
    async checkAndRecord(nonce, n) {
      try {
        return await o.store.checkNonceCount(nonce, n, ncTtl);
      } catch {
        return localNc.checkAndRecord(nonce, n);
      }
    },
  };
  const localFailures = new Map<string, { n: number; until: number }>();

  function challenge(msg: SipMessage, address: string, stale: boolean): Reject {
    const nonce = o.nonces.issue(address, o.realm);
    const values = buildChallenges({ realm: o.realm, algorithms: o.algorithms, nonce, stale });
    const register = msg.method === 'REGISTER';
    const name = register ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    return reject(register ? 401 : 407, stale ? 'auth_stale' : 'auth_required', values.map((v) => [name, v] as const));
  }

  async function countFailure(address: string): Promise<number> {
    const key = `authfail:${address}`;
    try {
      return await o.store.incrWindow(key, o.failureWindowMs);
    } catch {
      const t = o.now();
      const e = localFailures.get(key);
      if (e === undefined || e.until <= t) {
        if (localFailures.size > 100_000) localFailures.clear(); // bounded; a lost count only delays a ban
        localFailures.set(key, { n: 1, until: t + o.failureWindowMs });
        return 1;
      }
      return ++e.n;
    }
  }

  return {
    async authenticate(msg, address, trunks) {
      const creds = findCredentials(msg, o.realm);
      if (creds === undefined) {
        o.metrics.authTotal.inc({ trunk: 'unknown', result: 'challenge' });
        return { result: 'challenge', verdict: challenge(msg, address, false) };
      }
      const username = creds.params.get('username');
      const claimed = username === undefined ? undefined : trunks.byUsername(username);
      // Always the full challenged list: narrowing it per trunk before the hash would make a
      // known user's refusal cheaper than an unknown one's, a timing oracle for usernames.
      const r = await verifyCredentials(creds, { method: msg.method, uri: msg.uri, body: msg.body }, trunks, o.nonces, address, o.realm, nc, {
        algorithms: o.algorithms,
      });
      let reason: string;
      if (r.result === 'ok') {
        const alg = parseAlgorithm(creds.params.get('algorithm'));
        if (claimed !== undefined && alg !== undefined && claimed.algorithms.includes(alg)) {
          o.metrics.authTotal.inc({ trunk: claimed.id, result: 'ok' });
          return { result: 'ok', trunk: claimed, username: r.username };
        }
        reason = 'algorithm';
      } else if (r.result === 'stale') {
        o.metrics.authTotal.inc({ trunk: claimed?.id ?? 'unknown', result: 'stale' });
        return { result: 'challenge', verdict: challenge(msg, address, true) };
      } else {
        reason = r.reason;
      }
      const trunk = claimed?.id ?? 'unknown';
      o.metrics.authTotal.inc({ trunk, result: 'fail' });
      // One line per failure, unsampled: with the ban after a handful, a source cannot make many.
      o.logger.warn({ event: 'auth_failure', source: address, reason, trunk, username: clip(username), method: msg.method }, 'authentication failed');
      const n = await countFailure(address);
      if (n >= o.maxFailures) {
        o.bans.autoBan(address, 'auth_failures', o.banTtlMs, { trunk, detail: `${n} failures` });
        return { result: 'banned' };
      }
      return { result: 'challenge', verdict: challenge(msg, address, false) };
    },
  };
}
