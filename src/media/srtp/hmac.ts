// HMAC-SHA1 (RFC 2104) from hash states precomputed over the key pads: the
// per-packet cost is two state copies instead of two key schedules.
import { createHash, type Hash } from 'node:crypto';

export interface PrecomputedHmac {
  /** HMAC-SHA1 over a || b (b may be empty), full 20-byte digest. */
  digest(a: Buffer, b: Buffer): Buffer;
}

export function createPrecomputedHmac(key: Buffer): PrecomputedHmac {
  // keys longer than the 64-byte block are hashed first (RFC 2104 §2)
  const k = key.length > 64 ? createHash('sha1').update(key).digest() : key;
  const ipad = Buffer.alloc(64, 0x36);
  const opad = Buffer.alloc(64, 0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i]! ^= k[i]!;
    opad[i]! ^= k[i]!;
  }
  const inner: Hash = createHash('sha1').update(ipad);
  const outer: Hash = createHash('sha1').update(opad);
  return {
    digest(a, b) {
      const h = inner.copy().update(a);
      if (b.length > 0) h.update(b);
      return outer.copy().update(h.digest()).digest();
    },
  };
}
