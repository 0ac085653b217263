// Receive-side quality of one RTP stream, as the relay needs it: fed from the
// packet path, read when stats are pulled. The RFC 3550 arithmetic lives in
// src/media/stats (and the E-model there); this file adapts it to the relay.
import type { ReceiveQuality } from '../engine.js';
import { codecImpairment, createReceiveStats, estimateMos, recordPacket, snapshot, type ReceiveStats } from '../stats/index.js';

export interface ReceiveTracker {
  /** `arrivalMs` from performance.now(); `clockRate` in Hz. */
  onPacket(seq: number, rtpTimestamp: number, arrivalMs: number, bytes: number, clockRate: number): void;
  /** `codec`: rtpmap encoding name (PCMU, G729, opus…), for the MOS estimate; default G.711. */
  snapshot(codec?: string): ReceiveQuality;
}

export function createReceiveTracker(): ReceiveTracker {
  // Created on the first packet: the clock rate is known only once the leg's SDP is.
  let stats: ReceiveStats | undefined;
  return {
    onPacket(seq, ts, arrivalMs, bytes, clockRate) {
      if (stats === undefined || stats.clockRate !== clockRate) stats = createReceiveStats(clockRate);
      recordPacket(stats, seq, ts, arrivalMs, bytes);
    },
    snapshot(codec = 'PCMU') {
      if (stats === undefined) return { expected: 0, lost: 0, lossRatio: 0, jitterSeconds: 0, mos: undefined };
      const s = snapshot(stats);
      const lost = Math.max(0, s.lost);
      return { expected: s.expected, lost, lossRatio: s.lossRatio, jitterSeconds: s.jitterSeconds, mos: s.packets > 0 ? estimateMos({ codec: codecImpairment(codec), lossRatio: s.lossRatio, jitterMs: s.jitterSeconds * 1000 }).mos : undefined };
    },
  };
}
