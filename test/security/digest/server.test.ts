import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_ALGORITHMS,
  answerChallenge,
  buildChallenges,
  createMemoryNcTracker,
  createNonceManager,
  ha1,
  readDigest,
  verifyCredentials,
  type Algorithm,
  type Ha1Lookup,
  type NcTracker,
  type VerifyRequest,
} from '../../../src/security/digest/index.js';

const REALM = 'sbc.example.net';
const SOURCE = '203.0.113.7';
const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };
const lookup: Ha1Lookup = {
  ha1For: (u, r, a) => (USERS[u] !== undefined ? ha1(a, u, r, USERS[u]) : undefined),
};
const INVITE = { method: 'INVITE', uri: 'sip:+15551234567@sbc.example.net;user=phone' };

function setup(opts: { now?: () => number; ttlMs?: number } = {}) {
  const nonces = createNonceManager({ secret: Buffer.alloc(32, 42), ...opts });
  const tracker = createMemoryNcTracker({ ttlMs: nonces.ttlMs + nonces.skewMs, ...(opts.now ? { now: opts.now } : {}) });
  const verify = (header: string, req: VerifyRequest = INVITE, source = SOURCE, algorithms?: Algorithm[]) =>
    verifyCredentials(header, req, lookup, nonces, source, REALM, tracker, algorithms ? { algorithms } : {});
  const challenge = (algorithms: Algorithm[] = ['SHA-256', 'MD5'], source = SOURCE) =>
    buildChallenges({ realm: REALM, algorithms, nonce: nonces.issue(source, REALM) });
  return { nonces, tracker, verify, challenge };
}

function answer(challenges: string[], user: string, password: string, req: { method: string; uri: string; body?: Buffer } = INVITE, allowed?: Algorithm[]): string {
  const r = answerChallenge(challenges, req, { username: user, password }, allowed ? { allowed } : {});
  if ('error' in r) throw new Error(r.error);
  return r.header;
}

describe('buildChallenges', () => {
  it('RFC 8760 §2.4 / RFC 7616 §3.7: one challenge per algorithm, strongest first, qop="auth"', () => {
    const cs = buildChallenges({ realm: REALM, algorithms: ['SHA-512-256', 'SHA-256', 'MD5'], nonce: 'abc', opaque: 'op', stale: true });
    expect(cs).toHaveLength(3);
    expect(cs[0]).toBe('Digest realm="sbc.example.net", nonce="abc", opaque="op", stale=true, algorithm=SHA-512-256, qop="auth"');
    const algs = cs.map((c) => readDigest(c)?.params.get('algorithm'));
    expect(algs).toEqual(['SHA-512-256', 'SHA-256', 'MD5']);
    const plain = buildChallenges({ realm: REALM, algorithms: ['MD5'], nonce: 'abc' })[0] ?? '';
    expect(plain).not.toContain('stale');
    expect(plain).not.toContain('opaque');
  });
});

describe('verifyCredentials', () => {
  it.each(ALL_ALGORITHMS.map((a) => [a]))('RFC 7616 §3.4 round trip client ↔ server: %s, then nc replay refused', async (alg) => {
    const s = setup();
    const h = answer(s.challenge([alg]), 'alice', 'wonderland');
    expect(await s.verify(h)).toEqual({ result: 'ok', username: 'alice' });
    expect(await s.verify(h)).toEqual({ result: 'fail', reason: 'replay' });
  });

  it('RFC 3261 §22.4 / RFC 2617 §3.2.2: MD5 with qop=auth round-trips', async () => {
    const s = setup();
    const h = answer(s.challenge(['MD5']), 'bob', 'builder', { method: 'REGISTER', uri: 'sip:sbc.example.net' });
    expect(await s.verify(h, { method: 'REGISTER', uri: 'sip:sbc.example.net' })).toEqual({ result: 'ok', username: 'bob' });
  });

  it('RFC 3261 §22.4 / RFC 2069: an MD5 answer without qop is computed by the client but refused by the server (no replay guard)', async () => {
    const s = setup();
    const nonce = s.nonces.issue(SOURCE, REALM);
    const h = answer([`Digest realm="${REALM}", nonce="${nonce}", algorithm=MD5`], 'alice', 'wonderland');
    expect(readDigest(h)?.params.get('response')).toMatch(/^[0-9a-f]{32}$/);
    expect(await s.verify(h)).toEqual({ result: 'fail', reason: 'malformed' });
  });

  it('RFC 7616 §3.4.3: auth-int answers verify against the body and fail when it changes', async () => {
    const s = setup();
    const nonce = s.nonces.issue(SOURCE, REALM);
    const body = Buffer.from('v=0\r\ns=-\r\n');
    const req = { ...INVITE, body };
    const h = answer([`Digest realm="${REALM}", nonce="${nonce}", algorithm=SHA-256, qop="auth-int"`], 'alice', 'wonderland', req);
    expect(await s.verify(h, { ...INVITE, body: Buffer.from('v=0\r\ns=x\r\n') })).toEqual({ result: 'fail', reason: 'bad_response' });
    expect(await s.verify(h, req)).toEqual({ result: 'ok', username: 'alice' });
  });

  it('RFC 7616 §3.3 stale: right password on an expired nonce is stale; wrong password is a failure', async () => {
    let now = 1_000_000;
    const s = setup({ now: () => now, ttlMs: 60_000 });
    const cs = s.challenge(['SHA-256']);
    const good = answer(cs, 'alice', 'wonderland');
    const bad = answer(cs, 'alice', 'guess');
    now += 60_001;
    expect(await s.verify(good)).toEqual({ result: 'stale' });
    expect(await s.verify(bad)).toEqual({ result: 'fail', reason: 'bad_response' });
    // The client retries with the fresh nonce of a stale=true challenge.
    const retry = answer(buildChallenges({ realm: REALM, algorithms: ['SHA-256'], nonce: s.nonces.issue(SOURCE, REALM), stale: true }), 'alice', 'wonderland');
    expect(await s.verify(retry)).toEqual({ result: 'ok', username: 'alice' });
  });

  it('RFC 7616 §5.4: a forged or foreign nonce is bad_nonce, never stale', async () => {
    const s = setup();
    const h = answer([`Digest realm="${REALM}", nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", qop="auth"`], 'alice', 'wonderland');
    expect(await s.verify(h)).toEqual({ result: 'fail', reason: 'bad_nonce' });
  });

  it('RFC 7616 §5.4: a nonce issued to one source address fails from another', async () => {
    const s = setup();
    const h = answer(s.challenge(['SHA-256'], '198.51.100.1'), 'alice', 'wonderland');
    expect(await s.verify(h, INVITE, '198.51.100.2')).toEqual({ result: 'fail', reason: 'bad_nonce' });
    expect(await s.verify(h, INVITE, '198.51.100.1')).toEqual({ result: 'ok', username: 'alice' });
  });

  it('RFC 7616 §3.4 nc: a higher nc on the same nonce is accepted, a lower one is a replay', async () => {
    const s = setup();
    const cs = s.challenge(['SHA-256']);
    const at = (nc: number) => {
      const r = answerChallenge(cs, INVITE, { username: 'alice', password: 'wonderland' }, { nc });
      if ('error' in r) throw new Error(r.error);
      return r.header;
    };
    expect((await s.verify(at(1))).result).toBe('ok');
    expect((await s.verify(at(5))).result).toBe('ok');
    expect(await s.verify(at(3))).toEqual({ result: 'fail', reason: 'replay' });
  });

  it('RFC 7616 §3.4: an async (fleet) tracker is awaited', async () => {
    const s = setup();
    const seen = new Set<string>();
    const slow: NcTracker = {
      checkAndRecord: async (n, nc) => {
        await new Promise((r) => setTimeout(r, 1));
        const k = `${n}/${nc}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      },
    };
    const h = answer(s.challenge(['MD5']), 'alice', 'wonderland');
    expect((await verifyCredentials(h, INVITE, lookup, s.nonces, SOURCE, REALM, slow)).result).toBe('ok');
    expect(await verifyCredentials(h, INVITE, lookup, s.nonces, SOURCE, REALM, slow)).toEqual({ result: 'fail', reason: 'replay' });
  });

  it('RFC 3261 §22.4: digest-uri must equal the Request-URI; realm must be ours', async () => {
    const s = setup();
    const h = answer(s.challenge(['SHA-256']), 'alice', 'wonderland');
    expect(await s.verify(h, { ...INVITE, uri: 'sip:other@sbc.example.net' })).toEqual({ result: 'fail', reason: 'uri' });
    const other = answer(buildChallenges({ realm: 'elsewhere', algorithms: ['MD5'], nonce: s.nonces.issue(SOURCE, REALM) }), 'alice', 'wonderland');
    expect(await s.verify(other)).toEqual({ result: 'fail', reason: 'realm' });
  });

  it('RFC 8760 §2.4: an algorithm the server did not offer, or does not know, is refused', async () => {
    const s = setup();
    const h = answer(s.challenge(['MD5']), 'alice', 'wonderland');
    expect(await s.verify(h, INVITE, SOURCE, ['SHA-256'])).toEqual({ result: 'fail', reason: 'algorithm' });
    expect(await s.verify(h.replace('algorithm=MD5', 'algorithm=SHA-1'))).toEqual({ result: 'fail', reason: 'algorithm' });
  });

  it('RFC 7616 §5.1: unknown user and wrong password fail alike (work is counted in enumeration.test.ts)', async () => {
    const s = setup();
    const cs = s.challenge(['SHA-256']);
    const a = await s.verify(answer(cs, 'mallory', 'wonderland'));
    const b = await s.verify(answer(cs, 'alice', 'wonderland!'));
    expect(a).toEqual({ result: 'fail', reason: 'unknown_user' });
    expect(b).toEqual({ result: 'fail', reason: 'bad_response' });
  });

  it('RFC 7616 §3.4: missing or ill-formed fields are malformed, never thrown', async () => {
    const s = setup();
    const good = answer(s.challenge(['SHA-256']), 'alice', 'wonderland');
    const drop = (name: string) => {
      const d = readDigest(good);
      if (!d) throw new Error('unparseable');
      const p = new Map(d.params);
      p.delete(name);
      return { scheme: 'Digest', params: p };
    };
    for (const f of ['username', 'realm', 'nonce', 'uri', 'response', 'cnonce', 'qop', 'nc']) {
      expect(await verifyCredentials(drop(f), INVITE, lookup, s.nonces, SOURCE, REALM, s.tracker)).toEqual({ result: 'fail', reason: 'malformed' });
    }
    expect(await s.verify(good.replace('nc=00000001', 'nc=1'))).toEqual({ result: 'fail', reason: 'malformed' });
    expect(await s.verify(good.replace('nc=00000001', 'nc=00000000'))).toEqual({ result: 'fail', reason: 'malformed' });
    expect(await s.verify(good.replace('qop=auth', 'qop=auth-conf'))).toEqual({ result: 'fail', reason: 'malformed' });
    expect(await s.verify(good.replace('Digest', 'Basic'))).toEqual({ result: 'fail', reason: 'malformed' });
    expect(await s.verify(good + ', userhash=true')).toEqual({ result: 'fail', reason: 'malformed' });
    expect(await s.verify('')).toEqual({ result: 'fail', reason: 'malformed' });
  });

  it('RFC 3261 §22.4: hostile strings never throw (fast-check)', async () => {
    const s = setup();
    const good = answer(s.challenge(['SHA-256']), 'alice', 'wonderland');
    const arb = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      // Mutations of a valid header: splice random text somewhere inside it.
      fc.tuple(fc.nat({ max: good.length }), fc.nat({ max: 40 }), fc.string({ maxLength: 20 })).map(([at, cut, ins]) => good.slice(0, at) + ins + good.slice(at + cut)),
      fc.array(fc.tuple(fc.constantFrom('username', 'realm', 'nonce', 'uri', 'response', 'cnonce', 'qop', 'nc', 'algorithm', 'opaque', 'x'), fc.string({ maxLength: 30 })), { maxLength: 12 }).map(
        (kv) => 'Digest ' + kv.map(([k, v]) => `${k}="${v.replace(/["\\]/g, '\\$&')}"`).join(', '),
      ),
    );
    await fc.assert(
      fc.asyncProperty(arb, async (h) => {
        const r = await s.verify(h);
        expect(['fail', 'stale', 'ok']).toContain(r.result);
        const c = answerChallenge([h], INVITE, { username: 'u', password: 'p' });
        expect(typeof c).toBe('object');
      }),
      { numRuns: 2000 },
    );
  });

  it('RFC 3261 §22.4: a long hostile header is handled in linear time', async () => {
    const s = setup();
    const t0 = Date.now();
    await s.verify('Digest username="' + '\\"'.repeat(200_000) + '"');
    await s.verify('Digest ' + 'a=b,'.repeat(100_000));
    answerChallenge(['Digest realm="' + 'x,'.repeat(200_000)], INVITE, { username: 'u', password: 'p' });
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
