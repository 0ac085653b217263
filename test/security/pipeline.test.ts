import { afterEach, describe, expect, it } from 'vitest';
import { ACCEPT, applyIdentityHeader, sanitizeIdentityHeader } from '../../src/security/index.js';
import { createMemoryStore } from '../../src/state/memory.js';
import type { Store } from '../../src/state/types.js';
import { config, harness, metricValue, req, src, tick, type Harness } from './helpers.js';

let h: Harness;
afterEach(() => h?.pipeline.close());

/** A memory store that counts the calls made on it. */
function countingStore(): { store: Store; calls: Record<string, number> } {
  const inner = createMemoryStore();
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls[String(prop)] = (calls[String(prop)] ?? 0) + 1;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe('prefilter (DESIGN invariant 3: the edge decides before the core works)', () => {
  it('accepts with the shared constant (no allocation), and the internal realm always', () => {
    h = harness();
    expect(h.pipeline.prefilter(src('198.51.100.1'), 400)).toBe(ACCEPT);
    expect(h.pipeline.prefilter(src('10.0.0.1', { realm: 'internal' }), 400)).toBe(ACCEPT);
  });

  it('over-rate packets are dropped, then the source is banned after banAfterExcess', async () => {
    h = harness({ security: { flood: { packets: { rate: 10, burst: 5 }, banAfterExcess: 20 } } });
    const a = src('198.51.100.2');
    const actions = Array.from({ length: 30 }, () => h.pipeline.prefilter(a, 100).action);
    expect(actions.slice(0, 5).every((x) => x === 'accept')).toBe(true);
    expect(actions.slice(5).every((x) => x === 'drop')).toBe(true);
    await tick();
    expect(h.pipeline.listBans().map((b) => [b.address, b.reason])).toEqual([['198.51.100.2', 'flood']]);
    expect(h.pipeline.prefilter(a, 100)).toEqual({ action: 'drop', reason: 'banned' });
    // 20 over-rate drops made the ban; the rest, and the packet after, are drops for the ban.
    expect(await metricValue(h.metrics, 'palisade_security_drops_total', { reason: 'flood' })).toBe(20);
    expect(await metricValue(h.metrics, 'palisade_security_drops_total', { reason: 'banned' })).toBe(6);
    // Another source is untouched.
    expect(h.pipeline.prefilter(src('198.51.100.3'), 100)).toBe(ACCEPT);
  });

  it('action reply: 503 with Retry-After instead of silence', () => {
    h = harness({ security: { flood: { packets: { rate: 1, burst: 1 }, action: 'reply', retryAfterS: 9 } } });
    h.pipeline.prefilter(src('198.51.100.2'), 100);
    expect(h.pipeline.prefilter(src('198.51.100.2'), 100)).toEqual({ action: 'reject', code: 503, reason: 'flood', headers: [['Retry-After', '9']] });
  });

  it('a trunk may have its own packet rate', () => {
    h = harness({
      security: { flood: { packets: { rate: 1, burst: 2 } } },
      trunks: [{ id: 'big', sources: [{ cidr: '192.0.2.0/24' }], limits: { packetRate: 1000, packetBurst: 100 } }],
    });
    for (let i = 0; i < 100; i++) expect(h.pipeline.prefilter(src('192.0.2.5'), 100).action).toBe('accept');
    expect(h.pipeline.prefilter(src('198.51.100.5'), 100).action).toBe('accept');
    expect(h.pipeline.prefilter(src('198.51.100.5'), 100).action).toBe('accept');
    expect(h.pipeline.prefilter(src('198.51.100.5'), 100).action).toBe('drop');
  });

  it('drop logs are sampled: a flood of drops makes a handful of lines (invariant 4)', () => {
    h = harness({ security: { flood: { packets: { rate: 1, burst: 1 }, banAfterExcess: 100_000 } } });
    for (let i = 0; i < 5000; i++) h.pipeline.prefilter(src('198.51.100.4'), 100);
    expect(h.lines.filter((l) => l.msg === 'security refusal').length).toBe(1);
  });
});

describe('ordering: cheapest first', () => {
  it('a banned source never reaches sanity, scanner or digest (no store work beyond the ban look-up)', async () => {
    const { store, calls } = countingStore();
    h = harness({ security: { auth: { nonceSecret: 'y'.repeat(32) } } }, store);
    await h.pipeline.ban('198.51.100.77', 'test', 60_000);
    for (const k of Object.keys(calls)) delete calls[k];
    const insane = req('INVITE', { maxForwards: 0, ua: 'friendly-scanner', headers: [['Proxy-Authorization', 'Digest username="x", realm="palisade", nonce="n", uri="sip:x", response="0"']] });
    const v = await h.pipeline.check(insane, src('198.51.100.77'));
    expect(v).toEqual({ action: 'drop', reason: 'banned' });
    expect(calls).toEqual({ isBanned: 1 });
    expect(await metricValue(h.metrics, 'palisade_auth_total')).toBe(0);
    expect(await metricValue(h.metrics, 'palisade_bans_total', { reason: 'scanner' })).toBe(0);
  });

  it('a scanner UA is dropped before trunk identification or digest', async () => {
    const { store, calls } = countingStore();
    h = harness({ trunks: [{ id: 't', sources: [{ cidr: '198.51.100.0/24' }] }] }, store);
    expect(await h.pipeline.check(req('INVITE', { ua: 'friendly-scanner' }), src('198.51.100.8'))).toMatchObject({ action: 'drop', reason: 'scanner' });
    expect(calls.checkNonceCount ?? 0).toBe(0);
    expect(await metricValue(h.metrics, 'palisade_auth_total')).toBe(0);
  });

  it('sanity before digest: Max-Forwards 0 gets 483, not a challenge', async () => {
    h = harness();
    expect(await h.pipeline.check(req('INVITE', { maxForwards: 0 }), src('198.51.100.8'))).toMatchObject({ code: 483 });
  });

  it('a failed sanity check on ACK is dropped, never answered (RFC 3261 §17.1.1.3)', async () => {
    h = harness();
    expect(await h.pipeline.check(req('ACK', { maxForwards: 0, to: '<sip:b@x>;tag=1' }), src('198.51.100.8'))).toEqual({ action: 'drop', reason: 'too_many_hops' });
  });
});

describe('per-method buckets', () => {
  it('INVITE floods are refused; ACK over the rate is dropped, never answered', async () => {
    h = harness({ security: { flood: { invite: { rate: 1, burst: 2 }, action: 'reply' } }, trunks: [{ id: 't', sources: [{ cidr: '192.0.2.0/24' }] }] });
    // an unidentified source: challenged while under the rate, refused above it
    const a = src('198.51.100.1');
    expect(await h.pipeline.check(req('INVITE'), a)).toMatchObject({ action: 'reject', code: 407 });
    expect(await h.pipeline.check(req('INVITE'), a)).toMatchObject({ action: 'reject', code: 407 });
    expect(await h.pipeline.check(req('INVITE'), a)).toMatchObject({ action: 'reject', code: 503, reason: 'flood' });
    // In-dialog requests still pass through the flood filter.
    expect(await h.pipeline.check(req('INVITE', { to: '<sip:b@x>;tag=1' }), a)).toMatchObject({ code: 503 });
    // REGISTER has its own bucket.
    expect(await h.pipeline.check(req('REGISTER'), a)).toMatchObject({ action: 'reject', code: 401 });
    // a trunk identified by address is held to its own limits, not the per-source bucket
    const t = src('192.0.2.1');
    for (let i = 0; i < 5; i++) expect((await h.pipeline.check(req('INVITE'), t)).action).toBe('accept');
  });
});

describe('trunk identification (issue 4: IP authentication)', () => {
  it('longest prefix wins, port and transport constraints apply, in-dialog from strangers is not challenged', async () => {
    h = harness({
      trunks: [
        { id: 'wide', sources: [{ cidr: '192.0.2.0/24' }] },
        { id: 'narrow', sources: [{ cidr: '192.0.2.128/25', port: 5080, transport: 'tcp' }] },
        { id: 'v6', sources: [{ cidr: '2001:db8::/32' }] },
      ],
    });
    expect(await h.pipeline.check(req('OPTIONS'), src('192.0.2.200', { remotePort: 5080, transport: 'tcp' }))).toEqual({ action: 'accept', trunk: 'narrow' });
    expect(await h.pipeline.check(req('OPTIONS'), src('192.0.2.200'))).toEqual({ action: 'accept', trunk: 'wide' });
    expect(await h.pipeline.check(req('OPTIONS'), src('2001:db8:5::1'))).toEqual({ action: 'accept', trunk: 'v6' });
    expect(await metricValue(h.metrics, 'palisade_auth_total', { trunk: 'wide', result: 'ip' })).toBe(1);
    // A stranger's in-dialog request is not challenged: the core refuses it unless a dialog matches.
    expect(await h.pipeline.check(req('BYE', { to: '<sip:b@x>;tag=1' }), src('198.51.100.200'))).toEqual({ action: 'accept' });
  });

  it('TLS client certificate subject: required where configured, and alone identifies a trunk', async () => {
    h = harness({
      trunks: [
        { id: 'pinned', sources: [{ cidr: '192.0.2.0/24' }], tlsSubject: 'pbx.example.com' },
        { id: 'cert-only', tlsSubject: 'CN=roaming.example.com, O=Example' },
      ],
    });
    const tls = (address: string, subject: Record<string, string>, authorized = true) =>
      src(address, { transport: 'tls', peerAuthorized: authorized, peerCertificate: { subject } });
    expect(await h.pipeline.check(req('OPTIONS'), tls('192.0.2.1', { CN: 'pbx.example.com' }))).toEqual({ action: 'accept', trunk: 'pinned' });
    // Right address, wrong or unverified certificate: not the trunk, so digest is asked for.
    expect((await h.pipeline.check(req('OPTIONS'), tls('192.0.2.1', { CN: 'other' }))).action).toBe('reject');
    expect((await h.pipeline.check(req('OPTIONS'), tls('192.0.2.1', { CN: 'pbx.example.com' }, false))).action).toBe('reject');
    expect(await h.pipeline.check(req('OPTIONS'), tls('203.0.113.9', { CN: 'roaming.example.com', O: 'Example' }))).toEqual({ action: 'accept', trunk: 'cert-only' });
    expect((await h.pipeline.check(req('OPTIONS'), tls('203.0.113.9', { CN: 'roaming.example.com', O: 'Other' }))).action).toBe('reject');
  });

  it('reload: new trunks apply, bans stay', async () => {
    h = harness();
    await h.pipeline.ban('198.51.100.1');
    expect((await h.pipeline.check(req('OPTIONS'), src('192.0.2.1'))).action).toBe('reject');
    h.pipeline.reload(config({ trunks: [{ id: 'new', sources: [{ cidr: '192.0.2.0/24' }] }], security: { identityHeader: 'X-Trunk' } }));
    expect(await h.pipeline.check(req('OPTIONS'), src('192.0.2.1'))).toEqual({ action: 'accept', trunk: 'new' });
    expect(h.pipeline.identityHeader).toBe('X-Trunk');
    expect(h.pipeline.listBans()).toHaveLength(1);
  });
});

describe('bans (issue 4: manual and automatic, with expiry and reason)', () => {
  it('ban, list, unban; IPv6 written any way is one ban', async () => {
    h = harness();
    const b = await h.pipeline.ban('2001:DB8:0:0::1', 'abuse report #12', 60_000);
    expect(b).toMatchObject({ address: '2001:db8::1', reason: 'abuse report #12', until: h.clock.t + 60_000, origin: 'test' });
    expect(h.pipeline.prefilter(src('2001:db8::1'), 10).action).toBe('drop');
    expect(h.pipeline.listBans()).toHaveLength(1);
    expect(await metricValue(h.metrics, 'palisade_bans_total', { reason: 'manual' })).toBe(1);
    expect(h.lines.find((l) => l.event === 'ban')).toMatchObject({ source: '2001:db8::1', reason: 'manual', detail: 'abuse report #12' });
    expect(await h.pipeline.unban('2001:db8:0::1')).toBe(true);
    expect(h.pipeline.prefilter(src('2001:db8::1'), 10).action).toBe('accept');
    expect(await metricValue(h.metrics, 'palisade_bans_active')).toBe(0);
    await expect(h.pipeline.ban('not-an-ip')).rejects.toThrow(RangeError);
  });

  it('bans expire', async () => {
    h = harness();
    await h.pipeline.ban('198.51.100.1', 'x', 1000);
    h.clock.advance(1001);
    expect(h.pipeline.prefilter(src('198.51.100.1'), 10).action).toBe('accept');
  });

  it('acceptConnection closes banned sources (TLS/TCP)', async () => {
    h = harness();
    expect(h.pipeline.acceptConnection('198.51.100.1')).toBe(true);
    await h.pipeline.ban('198.51.100.1');
    expect(h.pipeline.acceptConnection('198.51.100.1')).toBe(false);
    expect(await metricValue(h.metrics, 'palisade_security_drops_total', { reason: 'banned_connection' })).toBe(1);
  });

  it('repeated malformed packets: 400 until the threshold, then drop and ban', async () => {
    h = harness({ security: { malformed: { banAfter: 3 } } });
    const a = src('198.51.100.1');
    expect([h.pipeline.malformed(a), h.pipeline.malformed(a)]).toEqual([
      { action: 'reject', code: 400, reason: 'malformed' },
      { action: 'reject', code: 400, reason: 'malformed' },
    ]);
    expect(h.pipeline.malformed(a)).toEqual({ action: 'drop', reason: 'malformed' });
    await tick();
    expect(h.pipeline.listBans()[0]).toMatchObject({ reason: 'malformed' });
    expect(h.pipeline.malformed(a)).toEqual({ action: 'drop', reason: 'banned' });
  });

  it('sip.malformed: drop answers nothing', () => {
    h = harness({ sip: { malformed: 'drop' } });
    expect(h.pipeline.malformed(src('198.51.100.1')).action).toBe('drop');
  });

  it('a ban made on one instance holds on another sharing the store', async () => {
    const store = createMemoryStore();
    const one = harness({}, store);
    const two = harness({}, store);
    await one.pipeline.ban('198.51.100.9');
    expect(two.pipeline.prefilter(src('198.51.100.9'), 10).action).toBe('drop');
    one.pipeline.close();
    two.pipeline.close();
    await store.close();
  });
});

describe('identity header (issue 4: the softswitch is told the trunk)', () => {
  it('a forged header from outside is removed; an accept names the trunk', () => {
    const m = req('INVITE', { headers: [['X-Palisade-Trunk', 'victim'], ['x-palisade-trunk', 'victim2']] });
    sanitizeIdentityHeader(m, 'X-Palisade-Trunk');
    expect(m.has('X-Palisade-Trunk')).toBe(false);
    const n = req('INVITE', { headers: [['X-Palisade-Trunk', 'victim']] });
    applyIdentityHeader(n, 'X-Palisade-Trunk', { action: 'accept', trunk: 'pbx1' });
    expect(n.headerValues('X-Palisade-Trunk')).toEqual(['pbx1']);
    expect(n.serialize().toString()).not.toContain('victim');
  });
});
