import { describe, expect, it } from 'vitest';
import { Take, createRateTable, takeToken, type Bucket } from '../../src/security/bucket.js';
import { clock } from './helpers.js';

const bucket = (rate: number, burst: number, t = 0): Bucket => ({ tokens: burst, last: t, rate, burst, excess: 0, excessStart: -Infinity });

describe('token bucket arithmetic (issue 4: per-source flood buckets)', () => {
  it('allows exactly `burst` packets at once, then refuses', () => {
    const b = bucket(10, 5);
    for (let i = 0; i < 5; i++) expect(takeToken(b, 0)).toBe(true);
    expect(takeToken(b, 0)).toBe(false);
  });

  it('refills at `rate` per second, never beyond burst', () => {
    const b = bucket(10, 5);
    for (let i = 0; i < 5; i++) takeToken(b, 0);
    expect(takeToken(b, 99)).toBe(false); // 0.99 tokens
    expect(takeToken(b, 100)).toBe(true); // 1.0 token
    expect(takeToken(b, 100)).toBe(false);
    // An hour idle refills to burst, not to 36,000.
    expect(b.tokens).toBeLessThan(1);
    takeToken(b, 3_600_000);
    expect(b.tokens).toBe(4);
  });

  it('a source at the sustained rate is never refused', () => {
    const b = bucket(20, 1);
    for (let t = 0; t < 10_000; t += 50) expect(takeToken(b, t)).toBe(true);
  });

  it('a clock that steps back does not mint tokens', () => {
    const b = bucket(10, 2, 1000);
    takeToken(b, 1000);
    takeToken(b, 1000);
    expect(takeToken(b, 500)).toBe(false);
    expect(b.tokens).toBe(0);
  });
});

describe('rate table', () => {
  it('reports Take.ban once, when excess reaches banAfterExcess within the window', () => {
    const c = clock(0);
    const t = createRateTable({ rate: 1, burst: 2, banAfterExcess: 3, banWindowMs: 10_000, maxEntries: 10, now: c.now });
    expect([t.take('a'), t.take('a')]).toEqual([Take.ok, Take.ok]);
    expect([t.take('a'), t.take('a'), t.take('a'), t.take('a')]).toEqual([Take.over, Take.over, Take.ban, Take.over]);
    // Another source has its own bucket.
    expect(t.take('b')).toBe(Take.ok);
  });

  it('excess outside the window starts a new count', () => {
    const c = clock(0);
    const t = createRateTable({ rate: 0.001, burst: 1, banAfterExcess: 3, banWindowMs: 1000, maxEntries: 10, now: c.now });
    t.take('a');
    t.take('a');
    t.take('a'); // excess 2
    c.advance(1001);
    expect([t.take('a'), t.take('a'), t.take('a')]).toEqual([Take.over, Take.over, Take.ban]);
  });

  it('stays bounded by maxEntries under a spoofed-source flood (DESIGN invariant 2)', () => {
    const c = clock(0);
    const t = createRateTable({ rate: 10, burst: 10, banAfterExcess: 100, banWindowMs: 1000, maxEntries: 100, now: c.now });
    for (let i = 0; i < 10_000; i++) {
      t.take(`10.0.${i >> 8}.${i & 255}`);
      if (i % 50 === 0) c.advance(1);
    }
    expect(t.size).toBeLessThanOrEqual(100);
  });

  it('uses per-key limits for a new source (trunk packet limits)', () => {
    const c = clock(0);
    const t = createRateTable({ rate: 1, burst: 1, banAfterExcess: 100, banWindowMs: 1000, maxEntries: 10, now: c.now, limitsFor: (k) => (k === 'trunk' ? { rate: 1, burst: 3 } : undefined) });
    expect([t.take('trunk'), t.take('trunk'), t.take('trunk'), t.take('trunk')]).toEqual([Take.ok, Take.ok, Take.ok, Take.over]);
    expect([t.take('other'), t.take('other')]).toEqual([Take.ok, Take.over]);
  });
});
