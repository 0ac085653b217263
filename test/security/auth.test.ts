import { afterEach, describe, expect, it } from 'vitest';
import { answerChallenge } from '../../src/security/digest/index.js';
import type { Reject, Verdict } from '../../src/security/index.js';
import { harness, metricValue, req, src, tick, type Harness } from './helpers.js';

const SECRET = 'x'.repeat(40);
const trunks = [
  { id: 'pbx1', auth: { username: 'pbx1', password: 'right-password' } },
  { id: 'legacy', auth: { username: 'legacy', password: 'pw', algorithms: ['MD5'] } },
];
const URI = 'sip:+14155550100@sbc.example.com';
const PBX = '198.51.100.7';

let h: Harness;
afterEach(() => h?.pipeline.close());

const setup = (extra: Record<string, unknown> = {}) => {
  h = harness({ trunks, security: { auth: { nonceSecret: SECRET }, ...extra } });
  return h;
};

async function verdict(v: Verdict | Promise<Verdict>): Promise<Verdict> {
  return await v;
}

function challenges(v: Verdict, name = 'Proxy-Authenticate'): string[] {
  if (v.action !== 'reject') throw new Error(`expected a challenge, got ${JSON.stringify(v)}`);
  return (v.headers ?? []).filter(([k]) => k === name).map(([, val]) => val);
}

/** Answers the challenges in `v` and sends the request again with credentials. */
async function answer(v: Verdict, method: string, cred: { username: string; password: string }, opts: { nc?: number; allowed?: Parameters<typeof answerChallenge>[3] } = {}) {
  const register = method === 'REGISTER';
  const cs = challenges(v, register ? 'WWW-Authenticate' : 'Proxy-Authenticate');
  const a = answerChallenge(cs, { method, uri: URI }, cred, { ...(opts.allowed ?? {}), ...(opts.nc !== undefined ? { nc: opts.nc } : {}) });
  if ('error' in a) throw new Error(a.error);
  return { header: a.header, name: register ? 'Authorization' : 'Proxy-Authorization' };
}

describe('digest authentication through check (RFC 3261 §22, RFC 7616, RFC 8760)', () => {
  it('RFC 8760 §2.4: 407 for INVITE with one challenge per algorithm, strongest first, qop=auth', async () => {
    setup();
    const v = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    expect(v).toMatchObject({ action: 'reject', code: 407, reason: 'auth_required' });
    const cs = challenges(v);
    expect(cs.map((c) => /algorithm=([\w-]+)/.exec(c)?.[1])).toEqual(['SHA-512-256', 'SHA-256', 'MD5']);
    for (const c of cs) expect(c).toMatch(/realm="palisade".*qop="auth"/);
  });

  it('RFC 3261 §22.1: 401 with WWW-Authenticate for REGISTER', async () => {
    setup();
    const v = await verdict(h.pipeline.check(req('REGISTER', { uri: 'sip:sbc.example.com' }), src(PBX)));
    expect(v).toMatchObject({ action: 'reject', code: 401 });
    expect(challenges(v, 'WWW-Authenticate')).toHaveLength(3);
  });

  it('RFC 7616 §3.4: a right answer is accepted with the trunk and username, end to end', async () => {
    setup();
    const first = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const { header, name } = await answer(first, 'INVITE', { username: 'pbx1', password: 'right-password' });
    const v = await verdict(h.pipeline.check(req('INVITE', { headers: [[name, header]] }), src(PBX)));
    expect(v).toMatchObject({ action: 'accept', trunk: 'pbx1', username: 'pbx1' });
    expect(header).toContain('algorithm=SHA-512-256');
    expect(await metricValue(h.metrics, 'palisade_auth_total', { trunk: 'pbx1', result: 'ok' })).toBe(1);
    // REGISTER too, with Authorization.
    const r1 = await verdict(h.pipeline.check(req('REGISTER', { uri: URI }), src(PBX)));
    const ra = await answer(r1, 'REGISTER', { username: 'pbx1', password: 'right-password' });
    expect(await verdict(h.pipeline.check(req('REGISTER', { uri: URI, headers: [[ra.name, ra.header]] }), src(PBX)))).toMatchObject({ action: 'accept', trunk: 'pbx1' });
  });

  it('per-trunk algorithms: a trunk limited to MD5 is refused with SHA-256, accepted with MD5', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const strong = await answer(c, 'INVITE', { username: 'legacy', password: 'pw' });
    expect((await verdict(h.pipeline.check(req('INVITE', { headers: [[strong.name, strong.header]] }), src(PBX)))).action).toBe('reject');
    // nc 2: the refused answer was a right one, so its nc was recorded.
    const weak = await answer(c, 'INVITE', { username: 'legacy', password: 'pw' }, { allowed: { allowed: ['MD5'] }, nc: 2 });
    expect(await verdict(h.pipeline.check(req('INVITE', { headers: [[weak.name, weak.header]] }), src(PBX)))).toMatchObject({ action: 'accept', trunk: 'legacy' });
  });

  it('issue 4: unknown user and wrong password get byte-identical answers apart from the nonce', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const wrong = await answer(c, 'INVITE', { username: 'pbx1', password: 'guess' });
    const unknown = await answer(c, 'INVITE', { username: 'nobody', password: 'guess' });
    const a = (await verdict(h.pipeline.check(req('INVITE', { headers: [[wrong.name, wrong.header]] }), src(PBX)))) as Reject;
    const b = (await verdict(h.pipeline.check(req('INVITE', { headers: [[unknown.name, unknown.header]] }), src(PBX)))) as Reject;
    const scrub = (v: Reject) => JSON.stringify({ ...v, headers: v.headers?.map(([k, val]) => [k, val.replace(/nonce="[^"]*"/, 'nonce="N"')]) });
    expect(a.code).toBe(407);
    expect(scrub(a)).toBe(scrub(b));
    // The logs, not the wire, tell them apart.
    expect(h.lines.filter((l) => l.event === 'auth_failure').map((l) => l.reason)).toEqual(['bad_response', 'unknown_user']);
  });

  it('issue 4: 5 failures in 60 s ban the source; each failure and the ban are logged', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const bad = await answer(c, 'INVITE', { username: 'pbx1', password: 'guess' });
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push((await verdict(h.pipeline.check(req('INVITE', { headers: [[bad.name, bad.header]] }), src(PBX)))).action);
    expect(results).toEqual(['reject', 'reject', 'reject', 'reject', 'drop']);
    await tick();
    expect(h.pipeline.listBans().map((b) => [b.address, b.reason])).toEqual([[PBX, 'auth_failures']]);
    expect(await verdict(h.pipeline.check(req('INVITE'), src(PBX)))).toMatchObject({ action: 'drop', reason: 'banned' });
    expect(h.pipeline.prefilter(src(PBX), 500)).toMatchObject({ action: 'drop', reason: 'banned' });
    expect(h.lines.filter((l) => l.event === 'auth_failure')).toHaveLength(5);
    const ban = h.lines.filter((l) => l.event === 'ban');
    expect(ban).toHaveLength(1);
    expect(ban[0]).toMatchObject({ source: PBX, reason: 'auth_failures', trunk: 'pbx1' });
    expect(await metricValue(h.metrics, 'palisade_bans_total', { reason: 'auth_failures' })).toBe(1);
    expect(await metricValue(h.metrics, 'palisade_bans_active')).toBe(1);
  });

  it('failures spread beyond the window do not ban', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const bad = await answer(c, 'INVITE', { username: 'pbx1', password: 'guess' });
    for (let i = 0; i < 8; i++) {
      expect((await verdict(h.pipeline.check(req('INVITE', { headers: [[bad.name, bad.header]] }), src(PBX)))).action).toBe('reject');
      h.clock.advance(20_000);
    }
  });

  it('RFC 7616 §3.4: a replayed nonce-count is refused (challenged again, counted as a failure)', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const good = await answer(c, 'INVITE', { username: 'pbx1', password: 'right-password' });
    expect((await verdict(h.pipeline.check(req('INVITE', { headers: [[good.name, good.header]] }), src(PBX)))).action).toBe('accept');
    const again = await verdict(h.pipeline.check(req('INVITE', { headers: [[good.name, good.header]] }), src(PBX)));
    expect(again).toMatchObject({ action: 'reject', code: 407, reason: 'auth_required' });
    expect(h.lines.find((l) => l.event === 'auth_failure')).toMatchObject({ reason: 'replay', trunk: 'pbx1' });
    // A higher nc on the same nonce is fine.
    const next = await answer(c, 'INVITE', { username: 'pbx1', password: 'right-password' }, { nc: 2 });
    expect((await verdict(h.pipeline.check(req('INVITE', { headers: [[next.name, next.header]] }), src(PBX)))).action).toBe('accept');
  });

  it('RFC 7616 §3.3: a right answer on an expired nonce gets stale=true and no failure', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const good = await answer(c, 'INVITE', { username: 'pbx1', password: 'right-password' });
    h.clock.advance(300_001);
    const v = await verdict(h.pipeline.check(req('INVITE', { headers: [[good.name, good.header]] }), src(PBX)));
    expect(v).toMatchObject({ action: 'reject', code: 407, reason: 'auth_stale' });
    for (const ch of challenges(v)) expect(ch).toContain('stale=true');
    expect(h.lines.filter((l) => l.event === 'auth_failure')).toHaveLength(0);
  });

  it('a nonce is bound to the source address: from elsewhere it fails', async () => {
    setup();
    const c = await verdict(h.pipeline.check(req('INVITE'), src(PBX)));
    const good = await answer(c, 'INVITE', { username: 'pbx1', password: 'right-password' });
    const v = await verdict(h.pipeline.check(req('INVITE', { headers: [[good.name, good.header]] }), src('203.0.113.50')));
    expect(v).toMatchObject({ action: 'reject', code: 407 });
    expect(h.lines.find((l) => l.event === 'auth_failure')).toMatchObject({ reason: 'bad_nonce' });
  });

  it('ACK and CANCEL are never challenged (RFC 3261 §22.1); exemptMethods pass', async () => {
    setup({ auth: { nonceSecret: SECRET, exemptMethods: ['OPTIONS'] } });
    expect(await verdict(h.pipeline.check(req('CANCEL'), src(PBX)))).toEqual({ action: 'accept' });
    expect(await verdict(h.pipeline.check(req('OPTIONS'), src(PBX)))).toEqual({ action: 'accept' });
    expect((await verdict(h.pipeline.check(req('MESSAGE'), src(PBX)))).action).toBe('reject');
  });
});
