// Counts the crypto work of each verification path by wrapping node:crypto, so the
// "unknown user costs the same as a wrong password" property is checked exactly
// instead of by wall-clock timing, which is too noisy on shared machines.
import { beforeEach, describe, expect, it, vi } from 'vitest';

const calls = { hash: 0, hmac: 0, equal: 0 };
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    createHash: (...a: Parameters<typeof real.createHash>) => (calls.hash++, real.createHash(...a)),
    // the one-shot form the digest code uses where Node has it (≥ 20.12)
    hash: (...a: Parameters<typeof real.hash>) => (calls.hash++, real.hash(...a)),
    createHmac: (...a: Parameters<typeof real.createHmac>) => (calls.hmac++, real.createHmac(...a)),
    timingSafeEqual: (...a: Parameters<typeof real.timingSafeEqual>) => (calls.equal++, real.timingSafeEqual(...a)),
  };
});

const { answerChallenge, buildChallenges, createMemoryNcTracker, createNonceManager, ha1, verifyCredentials } = await import('../../../src/security/digest/index.js');
type Algorithm = import('../../../src/security/digest/index.js').Algorithm;

const REALM = 'sbc.example.net';
const SOURCE = '203.0.113.7';
const INVITE = { method: 'INVITE', uri: 'sip:bob@sbc.example.net' };

describe('user enumeration', () => {
  beforeEach(() => {
    calls.hash = calls.hmac = calls.equal = 0;
  });

  it.each([['MD5'], ['SHA-256'], ['SHA-512-256-sess']] as Array<[Algorithm]>)(
    'RFC 7616 §5.1: an unknown user costs the same crypto work as a wrong password (%s)',
    async (alg) => {
      const nonces = createNonceManager({ secret: Buffer.alloc(32, 1) });
      const tracker = createMemoryNcTracker({ ttlMs: 60_000 });
      // The lookup does the same work for everyone, as a real one must (hash the password or not, alike).
      const lookup = { ha1For: (u: string, r: string, a: Algorithm) => (u === 'alice' ? ha1(a, u, r, 'secret') : undefined) };
      const cs = buildChallenges({ realm: REALM, algorithms: [alg], nonce: nonces.issue(SOURCE, REALM) });
      const header = (user: string, pw: string) => {
        const r = answerChallenge(cs, INVITE, { username: user, password: pw });
        if ('error' in r) throw new Error(r.error);
        return r.header;
      };
      const unknown = header('mallory', 'secret');
      const wrong = header('alice', 'nope');

      const measure = async (h: string) => {
        calls.hash = calls.hmac = calls.equal = 0;
        const r = await verifyCredentials(h, INVITE, lookup, nonces, SOURCE, REALM, tracker);
        return { r: r.result, ...calls };
      };
      const a = await measure(unknown);
      const b = await measure(wrong);
      expect(a.r).toBe('fail');
      expect(b.r).toBe('fail');
      // The known user's lookup hashed once (its HA1); subtract it: the dummy-HA1 path must do the rest alike.
      expect(a.hash).toBe(b.hash - 1);
      expect(a.hmac).toBe(b.hmac);
      expect(a.equal).toBe(b.equal);
      expect(a.equal).toBeGreaterThanOrEqual(2); // nonce MAC and response both compared in constant time
    },
  );
});
