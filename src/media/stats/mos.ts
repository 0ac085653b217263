// MOS estimate from the E-model (ITU-T G.107) in the simplified form operators
// use for live calls: only what a relay can observe (codec, loss, jitter, delay)
// moves R; every other G.107 input sits at its default, which is where 93.2
// comes from. docs/sdp.md (call quality) gives the formula and its sources.

/** ITU-T G.113 Appendix I planning values: equipment impairment and packet-loss robustness. */
export interface CodecImpairment {
  /** Ie: impairment of the codec with no loss. */
  readonly ie: number;
  /** Bpl: robustness to random packet loss (higher = degrades more slowly). */
  readonly bpl: number;
}

export const CODEC_IMPAIRMENTS = Object.freeze({
  /** G.711 with packet-loss concealment (G.711 Appendix I), what every current endpoint runs. */
  g711: Object.freeze({ ie: 0, bpl: 25.1 }),
  /** G.711 with no concealment: each lost packet is a gap. */
  g711NoPlc: Object.freeze({ ie: 0, bpl: 4.3 }),
  /** G.729A (+VAD), G.113 Appendix I. */
  g729: Object.freeze({ ie: 11, bpl: 19 }),
  /**
   * Opus has no G.113 value on this narrowband scale. At VoIP bit rates it is rated at least
   * as well as G.711, and its concealment is about as good as G.711's PLC but we do not credit
   * in-band FEC: an approximation, documented as such.
   */
  opus: Object.freeze({ ie: 0, bpl: 20 }),
} satisfies Record<string, CodecImpairment>);

export type CodecKey = keyof typeof CODEC_IMPAIRMENTS;

/** Maps an rtpmap encoding name (RFC 3551 / RFC 7587) to its impairment values; unknown codecs are rated like G.711. */
export function codecImpairment(encodingName: string): CodecImpairment {
  switch (encodingName.toUpperCase()) {
    case 'PCMU': case 'PCMA': return CODEC_IMPAIRMENTS.g711;
    case 'G729': case 'G729A': return CODEC_IMPAIRMENTS.g729;
    case 'OPUS': return CODEC_IMPAIRMENTS.opus;
    default: return CODEC_IMPAIRMENTS.g711;
  }
}

export interface MosInput {
  readonly codec: CodecImpairment;
  /** Packet loss as a ratio 0..1 (A.3 lost / expected). */
  readonly lossRatio: number;
  /** Interarrival jitter, milliseconds (A.8 converted). */
  readonly jitterMs: number;
  /** One-way network delay, milliseconds (RTCP RTT / 2 when known, else 0). */
  readonly delayMs?: number;
}

export interface MosResult {
  /** Transmission rating factor, before clamping to [0, 100]. */
  readonly r: number;
  readonly mos: number;
  /** The parts, for logs and dashboards. */
  readonly effectiveLatencyMs: number;
  readonly id: number;
  readonly ieEff: number;
}

/** R with all G.107 defaults and G.711 (Ro − Is + A with default inputs). */
export const R_DEFAULT = 93.2;

/** Delay impairment on the effective latency: gentle below 160 ms, 1 R point per 10 ms above (the common piecewise fit of G.107's Id). */
export function delayImpairment(effectiveLatencyMs: number): number {
  return effectiveLatencyMs < 160 ? effectiveLatencyMs / 40 : (effectiveLatencyMs - 120) / 10;
}

/** G.107 §3.5: Ie,eff = Ie + (95 − Ie) · Ppl / (Ppl + Bpl), Ppl in percent, random loss (BurstR = 1). */
export function effectiveEquipmentImpairment(codec: CodecImpairment, lossRatio: number): number {
  const ppl = Math.min(Math.max(lossRatio, 0), 1) * 100;
  return codec.ie + ((95 - codec.ie) * ppl) / (ppl + codec.bpl);
}

/** G.107 Annex B: R → MOS (CQE), 1 below R = 0, 4.5 above R = 100. */
export function rToMos(r: number): number {
  if (!(r > 0)) return 1;
  if (r >= 100) return 4.5;
  const mos = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return Math.min(Math.max(mos, 1), 4.5);
}

export function estimateMos(input: MosInput): MosResult {
  const delay = Math.max(input.delayMs ?? 0, 0);
  const jitter = Math.max(input.jitterMs, 0);
  // Jitter counts twice (the jitter buffer holds about two of it) plus ~10 ms of codec/protocol delay.
  const effectiveLatencyMs = delay + 2 * jitter + 10;
  const id = delayImpairment(effectiveLatencyMs);
  const ieEff = effectiveEquipmentImpairment(input.codec, Number.isFinite(input.lossRatio) ? input.lossRatio : 1);
  const r = R_DEFAULT - id - ieEff;
  return { r, mos: rToMos(r), effectiveLatencyMs, id, ieEff };
}
