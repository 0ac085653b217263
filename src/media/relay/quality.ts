// Receive-side quality of one RTP stream, as the relay needs it: fed from the
// packet path, read when stats are pulled. The RFC 3550 arithmetic lives in
// src/media/stats (and the E-model there); this file adapts it to the relay.
import type { ReceiveQuality } from '../engine.js';
import { codecImpairment, createReceiveStats, estimateMos, recordPacket, snapshot, type ReceiveStats } from '../stats/index.js';

/**
 * Records one RTP packet of a stream and returns its (possibly new) state.
 * The state is created on the first packet, and again if the clock rate
 * changes: it is known only once the leg's SDP is. A plain function over
 * the leg's own field, not a tracker object, for one object fewer to fetch
 * per packet.
 */
export function trackPacket(stats: ReceiveStats | undefined, seq: number, ts: number, arrivalMs: number, bytes: number, clockRate: number): ReceiveStats {
  if (stats === undefined || stats.clockRate !== clockRate) stats = createReceiveStats(clockRate);
  recordPacket(stats, seq, ts, arrivalMs, bytes);
  return stats;
}

/** `codec`: rtpmap encoding name (PCMU, G729, opus…), for the MOS estimate; default G.711. */
export function receiveQuality(stats: ReceiveStats | undefined, codec = 'PCMU'): ReceiveQuality {
  if (stats === undefined) return { expected: 0, lost: 0, lossRatio: 0, jitterSeconds: 0, mos: undefined };
  const s = snapshot(stats);
  const lost = Math.max(0, s.lost);
  return { expected: s.expected, lost, lossRatio: s.lossRatio, jitterSeconds: s.jitterSeconds, mos: s.packets > 0 ? estimateMos({ codec: codecImpairment(codec), lossRatio: s.lossRatio, jitterMs: s.jitterSeconds * 1000 }).mos : undefined };
}
