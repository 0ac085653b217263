// HMAC-SHA1 (RFC 2104) for the SRTP tag. We tried the textbook speed-up —
// hash the ipad/opad blocks once and Hash.copy() both states per packet —
// and measured it slower in Node 20 (≈2.6 µs vs ≈2.0 µs per 176-byte
// packet, bench notes in docs/srtp.md): each copy() builds a JS Hash object
// plus an OpenSSL context, twice, while createHmac is one native object.
// So this is one createHmac per packet, keyed with the raw Buffer (a
// KeyObject measured slower still).
import { createHmac } from 'node:crypto';

export interface PacketHmac {
  /** HMAC-SHA1 over a || b (b may be empty), full 20-byte digest. */
  digest(a: Buffer, b: Buffer): Buffer;
}

export function createPacketHmac(key: Buffer): PacketHmac {
  const k = Buffer.from(key); // our own copy: the caller may reuse theirs
  return {
    digest(a, b) {
      const h = createHmac('sha1', k).update(a);
      if (b.length > 0) h.update(b);
      return h.digest();
    },
  };
}
