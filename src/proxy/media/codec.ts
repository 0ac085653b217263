// The codec of a stream (its first format) for the relay's jitter clock and MOS estimate.
import { attributes, type Sdp } from '../../media/sdp/index.js';

/** RFC 3551 static payload types the relay's quality figures care about. */
const STATIC: Readonly<Record<string, { codec: string; clockRate: number }>> = {
  '0': { codec: 'PCMU', clockRate: 8000 },
  '3': { codec: 'GSM', clockRate: 8000 },
  '8': { codec: 'PCMA', clockRate: 8000 },
  '9': { codec: 'G722', clockRate: 8000 },
  '18': { codec: 'G729', clockRate: 8000 },
};

export function codecOf(sdp: Sdp, index: number, formats: readonly string[]): { codec: string; clockRate: number } | undefined {
  const pt = formats[0];
  if (pt === undefined) return undefined;
  const lines = sdp.media[index] ?? [];
  for (const v of attributes(lines, 'rtpmap')) {
    const m = /^(\d+)\s+([^/\s]+)\/(\d+)/.exec(v);
    if (m && m[1] === pt) {
      const rate = Number(m[3]);
      // G.722's RTP clock is 8000 whatever its rtpmap claims (RFC 3551 §4.5.2)
      return { codec: m[2]!, clockRate: m[2]!.toUpperCase() === 'G722' ? 8000 : rate > 0 && rate <= 192_000 ? rate : 8000 };
    }
  }
  return STATIC[pt];
}
