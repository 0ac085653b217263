import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/sip/index.js';
import { MIX } from '../../bench/mix.js';

describe('smoke', () => {
  it('parses the mix', () => {
    for (const s of MIX) {
      const r = parseMessage(Buffer.from(s));
      if (!r.ok) console.log(r);
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.message.serialize().toString()).toBe(s);
    }
  });
});
