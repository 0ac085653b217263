// RFC 3711 §3.3.2 replay window and §3.3.1 / Appendix A index estimation,
// checked against straightforward models with fast-check.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReplayWindow } from '../../../src/media/srtp/replay.js';
import { estimateIndex } from '../../../src/media/srtp/sequence.js';

describe('RFC 3711 §3.3.2 replay window', () => {
  it('agrees with a set-based model for any sequence of indices (64 and 128)', () => {
    fc.assert(fc.property(
      fc.constantFrom(64 as const, 128 as const),
      fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 300 }),
      (size, indices) => {
        const w = createReplayWindow(size);
        const seen = new Set<number>();
        let top = -1;
        for (const i of indices) {
          const model = !seen.has(i) && (top < 0 || i > top || top - i < size);
          expect(w.check(i)).toBe(model);
          if (model) {
            w.accept(i);
            seen.add(i);
            top = Math.max(top, i);
          }
        }
      },
    ));
  });

  it('handles 48-bit indices exactly', () => {
    const w = createReplayWindow(64);
    const big = 2 ** 48 - 2;
    w.accept(big);
    expect(w.check(big)).toBe(false);
    expect(w.check(big + 1)).toBe(true);
    expect(w.check(big - 63)).toBe(true);
    expect(w.check(big - 64)).toBe(false);
  });
});

describe('RFC 3711 §3.3.1 index estimation', () => {
  it('a new stream starts at ROC 0', () => {
    expect(estimateIndex(-1, 65535)).toBe(65535);
  });
  it('rollover: after 65535 comes index 65536 (ROC 1, SEQ 0)', () => {
    expect(estimateIndex(65535, 0)).toBe(65536);
  });
  it('a late packet from before the wrap is placed in ROC-1', () => {
    expect(estimateIndex(65536 + 2, 65534)).toBe(65534);
  });
  it('a packet "before" the first ROC is too old (-1)', () => {
    expect(estimateIndex(5, 40000)).toBe(-1);
  });
  it('picks the index nearest the top for any SEQ (Appendix A)', () => {
    fc.assert(fc.property(fc.integer({ min: 70000, max: 2 ** 40 }), fc.integer({ min: -32767, max: 32767 }), (top, d) => {
      const truth = top + d;
      expect(estimateIndex(top, truth % 65536)).toBe(truth);
    }));
  });
});
