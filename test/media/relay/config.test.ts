// The media config section: defaults match the relay's, bad ranges are refused.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { DEFAULT_RELAY_OPTIONS, relayOptionsFromConfig } from '../../../src/media/relay/index.js';
import { pairCount } from '../../../src/media/relay/pool.js';

describe('media config', () => {
  it('defaults are the relay defaults (20000–29999, 60 s, signaled latching)', () => {
    const cfg = configSchema.parse({});
    expect(relayOptionsFromConfig(cfg.media)).toEqual(DEFAULT_RELAY_OPTIONS);
  });
  it('carries advertise addresses and refuses a range with no pair', () => {
    const cfg = configSchema.parse({ media: { realms: { external: { address: '0.0.0.0', advertise: '203.0.113.7' } } } });
    expect(relayOptionsFromConfig(cfg.media).realms.external).toEqual({ address: '0.0.0.0', advertise: '203.0.113.7' });
    expect(configSchema.safeParse({ media: { portMin: 30001, portMax: 30002 } }).success).toBe(false);
    expect(configSchema.safeParse({ media: { realms: { internal: { address: 'eth0' } } } }).success).toBe(false);
  });
  it('pairs: even RTP, odd RTCP, whole pairs only', () => {
    expect(pairCount(20000, 29999)).toEqual({ first: 20000, pairs: 5000 });
    expect(pairCount(20001, 20006)).toEqual({ first: 20002, pairs: 2 });
    expect(pairCount(20000, 20000)).toEqual({ first: 20000, pairs: 0 });
  });
});
