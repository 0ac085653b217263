// The `media` config section as relay options (the schema's names are the operator's, these the relay's).
import type { MediaConfig } from '../../config/schema.js';
import type { RelayOptions } from './types.js';

export function relayOptionsFromConfig(m: MediaConfig): RelayOptions {
  const realm = (r: MediaConfig['realms']['external']) => (r.advertise !== undefined ? { address: r.address, advertise: r.advertise } : { address: r.address });
  return {
    portMin: m.portMin,
    portMax: m.portMax,
    workers: m.workers,
    timeoutMs: m.timeoutMs,
    holdTimeoutMs: m.holdTimeoutMs,
    latching: m.latching,
    relatchAfterMs: m.relatchAfterMs,
    tickMs: m.statsIntervalMs,
    realms: { external: realm(m.realms.external), internal: realm(m.realms.internal) },
  };
}
