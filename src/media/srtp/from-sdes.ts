// Bridge from a negotiated a=crypto attribute to a context. With SDES each
// side sends with the key it offered/answered and receives with the peer's:
// our outbound context uses our attribute, the inbound one the peer's.
import { createSrtpContext } from './context.js';
import type { SdesCrypto } from './sdes.js';
import type { ContextOptions, SrtpContext } from './types.js';

export function contextFromCrypto(c: SdesCrypto, options: ContextOptions = {}): SrtpContext {
  const k = c.keys[0];
  if (k === undefined) throw new RangeError('crypto attribute without a key');
  if (k.mki !== undefined || c.keys.length > 1) throw new RangeError('MKI keys are not supported by the transform');
  const wsh = c.sessionParams.find((p) => p.startsWith('WSH='));
  const replayWindow = options.replayWindow ?? (wsh !== undefined && Number(wsh.slice(4)) >= 128 ? 128 : 64);
  return createSrtpContext(c.suite.name, k.key, k.salt, { ...options, replayWindow });
}
