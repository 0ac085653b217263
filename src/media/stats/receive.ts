// Per-stream receive statistics: RFC 3550 Appendix A.1 (sequence validity with
// probation and 16-bit wrap), A.3 (expected, lost, fraction lost) and A.8
// (interarrival jitter). One mutable record per stream, updated in O(1) with no
// allocation per packet: the relay worker calls recordPacket on its hot path.

export interface ReceiveStats {
  /** RTP clock rate of the payload (8000 for G.711/G.729, 48000 for Opus). */
  clockRate: number;
  /** Every packet seen, probation and duplicates included. */
  packets: number;
  bytes: number;
  // RFC 3550 A.1 source state.
  maxSeq: number;
  cycles: number;
  baseSeq: number;
  badSeq: number;
  probation: number;
  received: number;
  expectedPrior: number;
  receivedPrior: number;
  // A.8: transit of the previous packet in timestamp units, and the running estimate.
  transit: number;
  haveTransit: boolean;
  jitter: number;
  /** Packets that arrived behind the highest sequence seen, first copy. */
  reordered: number;
  /** Copies of a sequence number already received (within the last 128). */
  duplicates: number;
  /** Ring of the last 128 extended sequence numbers received: tells a duplicate from a late packet. */
  seen: Uint32Array;
}

export interface ReceiveSnapshot {
  readonly packets: number;
  readonly bytes: number;
  /** A.3: extended highest sequence − base + 1. */
  readonly expected: number;
  /** A.1 `received`: valid packets, late and duplicate ones included. */
  readonly received: number;
  /** A.3 cumulative lost: may be negative with duplicates, as RFC 3550 §6.4.1 allows. */
  readonly lost: number;
  /** max(lost, 0) / expected, 0 when nothing is expected. */
  readonly lossRatio: number;
  readonly reordered: number;
  readonly duplicates: number;
  readonly extendedMaxSeq: number;
  /** A.8 estimate in timestamp units. */
  readonly jitter: number;
  readonly jitterSeconds: number;
}

export interface IntervalReport {
  /** A.3 fraction lost, the 8-bit fixed point value of an RTCP report block. */
  readonly fractionLost: number;
  readonly expected: number;
  readonly lost: number;
}

const RTP_SEQ_MOD = 1 << 16;
/** A.1 constants. */
export const MIN_SEQUENTIAL = 2;
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
/** Must exceed MAX_MISORDER so every late packet the algorithm accepts is still in the ring. */
const SEEN_WINDOW = 128;

export function createReceiveStats(clockRate: number): ReceiveStats {
  if (!(clockRate > 0)) throw new RangeError('clockRate must be positive');
  return {
    clockRate,
    packets: 0,
    bytes: 0,
    maxSeq: 0,
    cycles: 0,
    baseSeq: 0,
    badSeq: RTP_SEQ_MOD + 1,
    // -1 marks "no packet yet": the first one starts probation (A.1).
    probation: -1,
    received: 0,
    expectedPrior: 0,
    receivedPrior: 0,
    transit: 0,
    haveTransit: false,
    jitter: 0,
    reordered: 0,
    duplicates: 0,
    seen: new Uint32Array(SEEN_WINDOW / 32),
  };
}

function initSeq(s: ReceiveStats, seq: number): void {
  s.baseSeq = seq;
  s.maxSeq = seq;
  s.badSeq = RTP_SEQ_MOD + 1;
  s.cycles = 0;
  s.received = 0;
  s.receivedPrior = 0;
  s.expectedPrior = 0;
  s.seen.fill(0);
  s.haveTransit = false;
  mark(s, seq);
}

function mark(s: ReceiveStats, ext: number): void {
  const i = ext & (SEEN_WINDOW - 1);
  s.seen[i >>> 5]! |= 1 << (i & 31);
}

function isMarked(s: ReceiveStats, ext: number): boolean {
  const i = ext & (SEEN_WINDOW - 1);
  return (s.seen[i >>> 5]! & (1 << (i & 31))) !== 0;
}

/** The highest sequence advanced by `delta`: forget the ring slots it now reuses. */
function advance(s: ReceiveStats, oldExt: number, delta: number): void {
  if (delta >= SEEN_WINDOW) {
    s.seen.fill(0);
    return;
  }
  for (let k = 1; k <= delta; k++) {
    const i = (oldExt + k) & (SEEN_WINDOW - 1);
    s.seen[i >>> 5]! &= ~(1 << (i & 31));
  }
}

/** A.1 update_seq, plus duplicate/late bookkeeping. Returns false for packets not (yet) counted. */
function updateSeq(s: ReceiveStats, seq: number): boolean {
  if (s.probation === -1) {
    initSeq(s, seq);
    s.maxSeq = (seq - 1) & 0xffff;
    s.probation = MIN_SEQUENTIAL;
  }
  const udelta = (seq - s.maxSeq) & 0xffff;
  // A source is valid only after MIN_SEQUENTIAL packets in sequence.
  if (s.probation > 0) {
    if (seq === ((s.maxSeq + 1) & 0xffff)) {
      s.probation--;
      s.maxSeq = seq;
      if (s.probation === 0) {
        initSeq(s, seq);
        s.received++;
        return true;
      }
    } else {
      s.probation = MIN_SEQUENTIAL - 1;
      s.maxSeq = seq;
    }
    return false;
  }
  if (udelta < MAX_DROPOUT) {
    const oldExt = s.cycles + s.maxSeq;
    if (udelta === 0) {
      s.duplicates++;
    } else {
      // In order, with a permissible gap; a smaller number means the 16 bits wrapped.
      if (seq < s.maxSeq) s.cycles += RTP_SEQ_MOD;
      s.maxSeq = seq;
      advance(s, oldExt, udelta);
      mark(s, s.cycles + seq);
    }
  } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
    // A very large jump: accept it only when the next packet confirms it (the sender restarted).
    if (seq === s.badSeq) {
      initSeq(s, seq);
    } else {
      s.badSeq = (seq + 1) & 0xffff;
      return false;
    }
  } else {
    // Duplicate or late packet, at most MAX_MISORDER behind the highest.
    const behind = RTP_SEQ_MOD - udelta;
    const ext = s.cycles + s.maxSeq - behind;
    if (isMarked(s, ext)) s.duplicates++;
    else {
      s.reordered++;
      mark(s, ext);
    }
  }
  s.received++;
  return true;
}

/**
 * Records one RTP packet. `arrivalMs` is the local receive time in milliseconds
 * (any monotonic origin); `timestamp` the packet's 32-bit RTP timestamp.
 * Returns whether the packet counted as valid (A.1).
 */
export function recordPacket(s: ReceiveStats, seq: number, timestamp: number, arrivalMs: number, bytes: number): boolean {
  s.packets++;
  s.bytes += bytes;
  if (!updateSeq(s, seq & 0xffff)) return false;
  // A.8: transit = arrival − timestamp, both in timestamp units. Working modulo 2^32 keeps
  // the difference of two transits right across a timestamp wrap.
  const arrival = Math.floor((arrivalMs * s.clockRate) / 1000);
  const transit = (arrival - timestamp) >>> 0;
  if (s.haveTransit) {
    let d = (transit - s.transit) | 0;
    if (d < 0) d = -d;
    s.jitter += (d - s.jitter) / 16;
  }
  s.transit = transit;
  s.haveTransit = true;
  return true;
}

export function expectedPackets(s: ReceiveStats): number {
  if (s.probation !== 0) return 0;
  return s.cycles + s.maxSeq - s.baseSeq + 1;
}

export function snapshot(s: ReceiveStats): ReceiveSnapshot {
  const expected = expectedPackets(s);
  const lost = expected - s.received;
  return {
    packets: s.packets,
    bytes: s.bytes,
    expected,
    received: s.received,
    lost,
    lossRatio: expected > 0 ? Math.max(lost, 0) / expected : 0,
    reordered: s.reordered,
    duplicates: s.duplicates,
    extendedMaxSeq: s.cycles + s.maxSeq,
    jitter: s.jitter,
    jitterSeconds: s.jitter / s.clockRate,
  };
}

/** A.3 per-report-interval figures; advances the interval (call once per RTCP report). */
export function intervalReport(s: ReceiveStats): IntervalReport {
  const expected = expectedPackets(s);
  const expectedInterval = expected - s.expectedPrior;
  s.expectedPrior = expected;
  const receivedInterval = s.received - s.receivedPrior;
  s.receivedPrior = s.received;
  const lostInterval = expectedInterval - receivedInterval;
  const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
  return { fractionLost: Math.min(fractionLost, 255), expected: expectedInterval, lost: lostInterval };
}
