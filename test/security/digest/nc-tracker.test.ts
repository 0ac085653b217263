import { describe, expect, it } from 'vitest';
import { createMemoryNcTracker } from '../../../src/security/digest/index.js';

describe('in-memory nonce-count tracker', () => {
  it('RFC 7616 §3.4 nc: accepts increasing counts, refuses repeats and regressions', () => {
    const t = createMemoryNcTracker({ ttlMs: 1000, now: () => 0 });
    expect(t.checkAndRecord('n', 1)).toBe(true);
    expect(t.checkAndRecord('n', 1)).toBe(false);
    expect(t.checkAndRecord('n', 3)).toBe(true);
    expect(t.checkAndRecord('n', 2)).toBe(false);
    expect(t.checkAndRecord('other', 1)).toBe(true);
  });

  it('entries die with the nonce TTL', () => {
    let now = 0;
    const t = createMemoryNcTracker({ ttlMs: 1000, now: () => now });
    t.checkAndRecord('a', 1);
    now = 500;
    t.checkAndRecord('b', 1);
    now = 1000;
    t.checkAndRecord('c', 1); // sweeps 'a'
    expect(t.size).toBe(2);
    now = 1500;
    t.checkAndRecord('c', 2); // sweeps 'b'
    expect(t.size).toBe(1);
  });

  it('size stays bounded; the oldest entry goes first', () => {
    const t = createMemoryNcTracker({ ttlMs: 60_000, maxEntries: 100, now: () => 0 });
    for (let i = 0; i < 1000; i++) t.checkAndRecord(`n${i}`, 1);
    expect(t.size).toBe(100);
    expect(t.checkAndRecord('n999', 1)).toBe(false); // newest still remembered
    expect(t.checkAndRecord('n0', 1)).toBe(true); // oldest forgotten
  });
});
