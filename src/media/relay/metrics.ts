// Turns worker reports into the media metrics. Workers count in plain numbers
// and push deltas once per tick; per-packet prom-client calls would cost more
// than the forwarding itself.
import type { Metrics } from '../../observability/metrics.js';
import type { SessionStats } from '../engine.js';
import type { CounterDelta } from './types.js';

export interface MediaMetricsSink {
  portsFree(ports: number): void;
  sessions(active: number): void;
  counters(delta: CounterDelta): void;
  /** Quality of each stream that received packets, once per session end. */
  ended(stats: SessionStats): void;
}

export function metricsSink(m: Metrics): MediaMetricsSink {
  return {
    portsFree: (n) => m.mediaPortsFree.set(n),
    sessions: (n) => m.mediaSessionsActive.set(n),
    counters(delta) {
      for (const [key, n] of Object.entries(delta.packets)) {
        const [direction, realm] = key.split(':') as [string, string];
        m.mediaPackets.inc({ direction, realm }, n);
      }
      for (const [reason, n] of Object.entries(delta.drops)) m.mediaDrops.inc({ reason }, n);
    },
    ended(stats) {
      for (const leg of stats.legs) {
        const q = leg.quality;
        if (q.mos === undefined) continue;
        m.callMos.observe(q.mos);
        m.callPacketLoss.observe(q.lossRatio);
        m.callJitter.observe(q.jitterSeconds);
      }
    },
  };
}
