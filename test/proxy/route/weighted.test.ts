import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { drawWeighted, orderWeighted } from '../../../src/proxy/route/weighted.js';
import { seeded } from './rng.js';

const entry = fc.record({ priority: fc.integer({ min: 0, max: 3 }), weight: fc.integer({ min: 0, max: 5 }), id: fc.nat() });

describe('RFC 2782 selection', () => {
  it('orders every entry once, priorities ascending', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 12 }), fc.integer(), (entries, seed) => {
        const out = orderWeighted(entries, seeded(seed));
        expect(out).toHaveLength(entries.length);
        expect(new Set(out)).toEqual(new Set(entries));
        for (let i = 1; i < out.length; i++) expect(out[i]!.priority).toBeGreaterThanOrEqual(out[i - 1]!.priority);
      }),
    );
  });

  it('never draws a weight-0 entry over weighted ones except on the zero slot', () => {
    const group = [
      { priority: 0, weight: 0, id: 'standby' },
      { priority: 0, weight: 9, id: 'main' },
    ];
    // draws span [0, 9]: only the lowest tenth of random() lands on the standby
    expect(drawWeighted(group, () => 0.05)?.id).toBe('standby');
    expect(drawWeighted(group, () => 0.1)?.id).toBe('main');
    expect(drawWeighted(group, () => 0.999999)?.id).toBe('main');
    expect(drawWeighted([], () => 0.5)).toBeUndefined();
  });
});
