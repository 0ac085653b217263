// Where the relay gets its SRTP contexts. Kept in one file so the packet path
// depends only on the SrtpContext shape, not on how contexts are built.
import type { SrtpKey } from '../engine.js';
import { createSrtpContext } from '../srtp/context.js';
import { suiteByName } from '../srtp/suites.js';
import type { SrtpContext } from '../srtp/types.js';

export type ContextFactory = (key: SrtpKey) => SrtpContext;

/** Splits the SDES inline key (master key ‖ master salt) by the suite's lengths; throws on a bad key. */
export const createContext: ContextFactory | undefined = (k) => {
  const suite = suiteByName(k.suite);
  if (!suite) throw new Error(`unknown suite ${k.suite}`);
  if (k.key.length !== suite.keyLength + suite.saltLength) {
    throw new Error(`${k.suite} needs ${suite.keyLength + suite.saltLength} key bytes, got ${k.key.length}`);
  }
  const key = Buffer.from(k.key.buffer, k.key.byteOffset, k.key.byteLength);
  // the relay sends every result before it handles the next packet
  return createSrtpContext(suite.name, key.subarray(0, suite.keyLength), key.subarray(suite.keyLength), { sharedOutput: true });
};
