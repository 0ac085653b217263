// RFC 3550 Appendix A.1 (sequence validity, probation, wrap), A.3 (loss), A.8 (jitter).
import { describe, expect, it } from 'vitest';
import { MAX_DROPOUT, createReceiveStats, intervalReport, recordPacket, snapshot, type ReceiveStats } from '../../../src/media/stats/index.js';

/** Feeds packets 20 ms apart (G.711 at 8 kHz: 160 timestamp units each), `seqs` in arrival order. */
function feed(s: ReceiveStats, seqs: number[], first = 0): void {
  let t = 0;
  for (const seq of seqs) {
    recordPacket(s, seq, ((seq - first) * 160) >>> 0, t, 172);
    t += 20;
  }
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => (from + i) & 0xffff);

describe('RFC 3550 A.1 probation', () => {
  it('a source counts once MIN_SEQUENTIAL (2) packets arrive in sequence; the first is probation only', () => {
    const s = createReceiveStats(8000);
    expect(recordPacket(s, 100, 0, 0, 172)).toBe(false);
    expect(recordPacket(s, 101, 160, 20, 172)).toBe(true);
    expect(snapshot(s)).toMatchObject({ packets: 2, bytes: 344, expected: 1, received: 1, lost: 0 });
  });
  it('out-of-sequence packets during probation restart it and count nothing', () => {
    const s = createReceiveStats(8000);
    feed(s, [10, 500, 9000]);
    expect(snapshot(s)).toMatchObject({ packets: 3, expected: 0, received: 0, lossRatio: 0 });
    feed(s, [9001]);
    expect(snapshot(s)).toMatchObject({ expected: 1, received: 1 });
  });
  it('100 packets in order: nothing lost', () => {
    const s = createReceiveStats(8000);
    feed(s, range(1000, 100), 1000);
    expect(snapshot(s)).toMatchObject({ packets: 100, expected: 99, received: 99, lost: 0, lossRatio: 0, reordered: 0, duplicates: 0 });
  });
});

describe('RFC 3550 A.1 sequence wrap', () => {
  it('65530 → 13 wraps once: cycles counted, nothing lost', () => {
    const s = createReceiveStats(8000);
    feed(s, range(65530, 20), 65530);
    const snap = snapshot(s);
    expect(snap.extendedMaxSeq).toBe(65536 + 13);
    expect(snap).toMatchObject({ expected: 19, received: 19, lost: 0 });
  });
  it('a packet late across the wrap is reordered, not a new cycle', () => {
    const s = createReceiveStats(8000);
    feed(s, [65533, 65534, 0, 65535, 1, 2], 65533);
    expect(snapshot(s)).toMatchObject({ extendedMaxSeq: 65536 + 2, expected: 5, received: 5, lost: 0, reordered: 1, duplicates: 0 });
  });
  it('many wraps stay exact', () => {
    const s = createReceiveStats(8000);
    feed(s, range(0, 65536 * 3 + 10));
    expect(snapshot(s)).toMatchObject({ extendedMaxSeq: 65536 * 3 + 9, expected: 65536 * 3 + 9, lost: 0 });
  });
});

describe('RFC 3550 A.3 loss with gaps, reordering and duplicates', () => {
  it('gaps are lost packets', () => {
    const s = createReceiveStats(8000);
    feed(s, [1, 2, 3, 6, 7, 10], 1);
    // Expected 2..10 = 9, received 5 (2,3,6,7,10): 4 lost.
    expect(snapshot(s)).toMatchObject({ expected: 9, received: 5, lost: 4 });
    expect(snapshot(s).lossRatio).toBeCloseTo(4 / 9, 12);
  });
  it('a reordered packet is not lost', () => {
    const s = createReceiveStats(8000);
    feed(s, [1, 2, 3, 5, 4, 6], 1);
    expect(snapshot(s)).toMatchObject({ expected: 5, received: 5, lost: 0, reordered: 1, duplicates: 0 });
  });
  it('duplicates are counted apart; cumulative lost may go negative (RFC 3550 §6.4.1), the ratio does not', () => {
    const s = createReceiveStats(8000);
    feed(s, [1, 2, 3, 3, 4, 2], 1);
    const snap = snapshot(s);
    expect(snap).toMatchObject({ expected: 3, received: 5, lost: -2, duplicates: 2, reordered: 0 });
    expect(snap.lossRatio).toBe(0);
  });
  it('a late packet that fills a gap, then its copy', () => {
    const s = createReceiveStats(8000);
    feed(s, [1, 2, 3, 6, 7, 4, 4, 5], 1);
    expect(snapshot(s)).toMatchObject({ expected: 6, received: 7, reordered: 2, duplicates: 1 });
  });
  it('a packet more than MAX_MISORDER behind is a large jump, not counted', () => {
    const s = createReceiveStats(8000);
    feed(s, range(1, 300), 1);
    expect(recordPacket(s, 100, 0, 7000, 172)).toBe(false);
    expect(snapshot(s)).toMatchObject({ expected: 299, received: 299 });
  });
  it('a jump beyond MAX_DROPOUT is ignored once, then accepted as a restart when the next follows', () => {
    const s = createReceiveStats(8000);
    feed(s, range(1, 10), 1);
    const far = 10 + MAX_DROPOUT + 500;
    expect(recordPacket(s, far, 0, 1000, 172)).toBe(false);
    expect(snapshot(s).expected).toBe(9);
    expect(recordPacket(s, far + 1, 160, 1020, 172)).toBe(true);
    // init_seq: the restarted stream counts from its own base.
    expect(snapshot(s)).toMatchObject({ expected: 1, received: 1, extendedMaxSeq: far + 1 });
  });
  it('a jump under MAX_DROPOUT is a gap', () => {
    const s = createReceiveStats(8000);
    feed(s, [1, 2, 2000], 1);
    expect(snapshot(s)).toMatchObject({ expected: 1999, received: 2, lost: 1997 });
  });
  it('interval report: fraction lost as 8-bit fixed point, per interval', () => {
    const s = createReceiveStats(8000);
    feed(s, [1, 2, 3, 4, 5, 6, 7, 9, 10, 12], 1);
    // Interval 1: expected 2..12 = 11, received 9 (8 and 11 missing), lost 2 → floor(2·256/11) = 46.
    expect(intervalReport(s)).toEqual({ fractionLost: 46, expected: 11, lost: 2 });
    feed(s, [13, 14, 15, 16], 1);
    expect(intervalReport(s)).toEqual({ fractionLost: 0, expected: 4, lost: 0 });
    // Duplicates make the interval's lost negative: reported as 0.
    feed(s, [16, 16], 1);
    expect(intervalReport(s).fractionLost).toBe(0);
  });
});

describe('RFC 3550 A.8 interarrival jitter', () => {
  it('matches a hand computation (8 kHz, 20 ms packets)', () => {
    const s = createReceiveStats(8000);
    // Arrival ms and RTP timestamps; the first packet is probation only, so transit starts at the second.
    const arrivals = [0, 20, 45, 60, 80, 100];
    arrivals.forEach((ms, i) => recordPacket(s, 500 + i, i * 160, ms, 172));
    // Transits (units): 0, 40, 0, 0, 0 → |D| = 40, 40, 0, 0.
    // J = 0 + 40/16 = 2.5; 2.5 + 37.5/16 = 4.84375; ·15/16 = 4.541015625; ·15/16 = 4.2572021484375.
    expect(snapshot(s).jitter).toBe(4.2572021484375);
    expect(snapshot(s).jitterSeconds).toBe(4.2572021484375 / 8000);
  });
  it('a perfectly paced stream has zero jitter, across an RTP timestamp wrap too', () => {
    const s = createReceiveStats(8000);
    for (let i = 0; i < 200; i++) recordPacket(s, i, (0xffffff00 + i * 160) >>> 0, 1_000_000 + i * 20, 172);
    expect(snapshot(s).jitter).toBe(0);
  });
  it('48 kHz clock: jitter in seconds converges on the true deviation scale', () => {
    const s = createReceiveStats(48000);
    // Alternate 10 ms early / on time: |D| is 480 units = 10 ms every packet, J → 480.
    for (let i = 0; i < 2000; i++) recordPacket(s, i, i * 960, i * 20 + (i % 2 === 0 ? 0 : 10), 100);
    expect(snapshot(s).jitterSeconds).toBeCloseTo(0.01, 6);
  });
  it('rejects a non-positive clock rate (a programmer error)', () => {
    expect(() => createReceiveStats(0)).toThrow(RangeError);
  });
});

describe('expectedPackets (A.3)', () => {
  it('is 0 until the source validates, then tracks the extended highest sequence', async () => {
    const { expectedPackets } = await import('../../../src/media/stats/index.js');
    const s = createReceiveStats(8000);
    expect(expectedPackets(s)).toBe(0);
    feed(s, [7]);
    expect(expectedPackets(s)).toBe(0);
    feed(s, [8, 9, 12]);
    expect(expectedPackets(s)).toBe(5);
  });
  it('a million packets: counters stay exact (the hot path keeps no per-packet state beyond the ring)', () => {
    const s = createReceiveStats(8000);
    for (let i = 0; i < 1_000_000; i++) recordPacket(s, i & 0xffff, (i * 160) >>> 0, i * 20, 172);
    expect(snapshot(s)).toMatchObject({ packets: 1_000_000, bytes: 172_000_000, expected: 999_999, lost: 0, jitter: 0 });
  });
});
