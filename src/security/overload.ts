// The overload guard's sensor: event-loop lag. When the loop is late, every message
// waits; shedding new INVITEs (cheap to refuse, expensive to carry) keeps the calls
// already up healthy. p99 over a short window reacts to sustained lag, not to one GC.

import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface LagSensor {
  /** p99 event-loop delay of the last completed window, in ms */
  read(): number;
  stop(): void;
}

export function createLagSensor(windowMs = 500): LagSensor {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let last = 0;
  const timer = setInterval(() => {
    // The histogram measures timer overshoot beyond `resolution`; ns → ms.
    last = h.count > 0 ? h.percentile(99) / 1e6 : 0;
    h.reset();
  }, windowMs);
  timer.unref();
  return {
    read: () => last,
    stop() {
      clearInterval(timer);
      h.disable();
    },
  };
}
