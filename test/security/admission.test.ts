import { afterEach, describe, expect, it } from 'vitest';
import type { Accept, Verdict } from '../../src/security/index.js';
import { createMemoryStore } from '../../src/state/memory.js';
import { harness, metricValue, req, src, type Harness } from './helpers.js';

const TRUNK_IP = '203.0.113.10';
let h: Harness;
afterEach(() => h?.pipeline.close());

const invite = async (address = TRUNK_IP): Promise<Verdict> => await h.pipeline.check(req('INVITE'), src(address));

describe('call admission (issue 4: per-trunk and global limits, overload guard)', () => {
  it('per-trunk concurrent calls: the limit holds, release frees a slot, release is idempotent', async () => {
    h = harness({ trunks: [{ id: 'carrier', sources: [{ cidr: '203.0.113.0/24' }], limits: { maxCalls: 2 } }] });
    const a = (await invite()) as Accept;
    const b = (await invite()) as Accept;
    expect([a.action, b.action]).toEqual(['accept', 'accept']);
    expect(a.trunk).toBe('carrier');
    expect(await invite()).toMatchObject({ action: 'reject', code: 503, reason: 'trunk_calls' });
    expect(h.store.shareTotal('calls:carrier')).toBe(2);
    expect(await metricValue(h.metrics, 'palisade_trunk_calls_active', { trunk: 'carrier' })).toBe(2);
    a.release!();
    a.release!();
    await Promise.resolve();
    expect(h.store.shareTotal('calls:carrier')).toBe(1);
    expect((await invite()).action).toBe('accept');
    // callEnded(trunk) is the same as release, for cores that keep trunk ids.
    h.pipeline.callEnded('carrier');
    await Promise.resolve();
    expect(h.store.shareTotal('calls:carrier')).toBe(1);
  });

  it('INVITEs racing for the last slot: exactly one wins', async () => {
    h = harness({ trunks: [{ id: 'carrier', sources: [{ cidr: '203.0.113.0/24' }], limits: { maxCalls: 1 } }] });
    const vs = await Promise.all([invite(), invite(), invite()]);
    expect(vs.filter((v) => v.action === 'accept')).toHaveLength(1);
    expect(h.store.shareTotal('calls:carrier')).toBe(1);
  });

  it('the concurrent limit is fleet-wide: two pipelines sharing one store', async () => {
    const store = createMemoryStore();
    const cfg = { trunks: [{ id: 'carrier', sources: [{ cidr: '203.0.113.0/24' }], limits: { maxCalls: 1 } }] };
    const one = harness(cfg, store);
    const two = harness(cfg, store);
    expect((await one.pipeline.check(req('INVITE'), src(TRUNK_IP))).action).toBe('accept');
    expect(await two.pipeline.check(req('INVITE'), src(TRUNK_IP))).toMatchObject({ action: 'reject', reason: 'trunk_calls' });
    one.pipeline.close();
    two.pipeline.close();
    await store.close();
  });

  it('per-trunk calls per second: a fixed one-second window', async () => {
    h = harness({ trunks: [{ id: 'carrier', sources: [{ cidr: '203.0.113.0/24' }], limits: { cps: 3 } }] });
    const first = await Promise.all([invite(), invite(), invite(), invite()]);
    expect(first.map((v) => v.action)).toEqual(['accept', 'accept', 'accept', 'reject']);
    expect(first[3]).toMatchObject({ code: 503, reason: 'trunk_cps' });
    h.clock.advance(1001);
    expect((await invite()).action).toBe('accept');
  });

  it('global maximum of concurrent calls on this instance', async () => {
    h = harness({ security: { admission: { maxCalls: 1 } }, trunks: [{ id: 'carrier', sources: [{ cidr: '203.0.113.0/24' }] }] });
    const a = (await invite()) as Accept;
    expect(a.action).toBe('accept');
    expect(await invite()).toMatchObject({ action: 'reject', code: 503, reason: 'global_calls' });
    a.release!();
    expect((await invite()).action).toBe('accept');
  });

  it('overload guard: lag above the threshold sheds new INVITEs with 503 + Retry-After, in-dialog traffic passes', async () => {
    h = harness({ security: { admission: { maxEventLoopLagMs: 100, retryAfterS: 7 } }, trunks: [{ id: 'carrier', sources: [{ cidr: '203.0.113.0/24' }] }] });
    h.lag.value = 150;
    expect(await invite()).toEqual({ action: 'reject', code: 503, reason: 'overload', headers: [['Retry-After', '7']] });
    const bye = await h.pipeline.check(req('BYE', { to: '<sip:bob@sbc.example.com>;tag=t1' }), src(TRUNK_IP));
    const reinvite = await h.pipeline.check(req('INVITE', { to: '<sip:bob@sbc.example.com>;tag=t1' }), src(TRUNK_IP));
    expect([bye.action, reinvite.action]).toEqual(['accept', 'accept']);
    h.lag.value = 50;
    expect((await invite()).action).toBe('accept');
    expect(await metricValue(h.metrics, 'palisade_security_rejects_total', { reason: 'overload', code: '503' })).toBe(1);
  });
});
