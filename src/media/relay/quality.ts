// Receive-side quality of one RTP stream, as the relay needs it: fed from the
// packet path, read when stats are pulled. The RFC 3550 arithmetic lives in
// src/media/stats; this file adapts it and adds the MOS estimate.
import type { ReceiveQuality } from '../engine.js';
import { createReceiveStats, recordPacket, snapshot, type ReceiveStats } from '../stats/receive.js';

export interface ReceiveTracker {
  /** `arrivalMs` from performance.now(); `clockRate` in Hz. */
  onPacket(seq: number, rtpTimestamp: number, arrivalMs: number, bytes: number, clockRate: number): void;
  snapshot(): ReceiveQuality;
}

export function createReceiveTracker(): ReceiveTracker {
  // Created on the first packet: the clock rate is known only once the leg's SDP is.
  let stats: ReceiveStats | undefined;
  return {
    onPacket(seq, ts, arrivalMs, bytes, clockRate) {
      if (stats === undefined || stats.clockRate !== clockRate) stats = createReceiveStats(clockRate);
      recordPacket(stats, seq, ts, arrivalMs, bytes);
    },
    snapshot() {
      if (stats === undefined) return { expected: 0, lost: 0, lossRatio: 0, jitterSeconds: 0, mos: undefined };
      const s = snapshot(stats);
      const lost = Math.max(0, s.lost);
      return { expected: s.expected, lost, lossRatio: s.lossRatio, jitterSeconds: s.jitterSeconds, mos: s.packets > 0 ? mosEstimate(s.lossRatio, s.jitterSeconds) : undefined };
    },
  };
}

/**
 * E-model (ITU-T G.107) the way operators usually simplify it: G.711 with packet
 * loss concealment (Ie = 0, Bpl = 25.1), random loss, and a one-way delay taken
 * as 40 ms of network plus 10 ms packetization plus a jitter buffer of twice the jitter.
 */
export function mosEstimate(lossRatio: number, jitterSeconds: number): number {
  const delayMs = 50 + 2 * jitterSeconds * 1000;
  const id = 0.024 * delayMs + (delayMs > 177.3 ? 0.11 * (delayMs - 177.3) : 0);
  const ppl = lossRatio * 100;
  const ieEff = 95 * (ppl / (ppl + 25.1));
  const r = 93.2 - id - ieEff;
  if (r <= 0) return 1;
  return Math.min(4.5, 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r));
}
