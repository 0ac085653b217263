// AES_CM_128_HMAC_SHA1_{80,32}: AES counter mode (RFC 3711 §4.1.1) and
// HMAC-SHA1 truncated to the suite's tag (§4.2.1). The tag is computed over
// the packet as received and compared before any byte is decrypted.
import { timingSafeEqual } from 'node:crypto';
import { createPacketHmac } from './hmac.js';
import { createCounterKeystream } from './keystream.js';
import type { RtcpTransform, RtpTransform } from './transform.js';
import type { SessionKeys } from './types.js';

const EMPTY = Buffer.alloc(0);

/** IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16), §4.1.1. */
function fillIv(iv: Buffer, salt: Buffer, ssrc: number, index: number): void {
  salt.copy(iv, 0, 0, 14);
  iv[14] = 0;
  iv[15] = 0;
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  const hi = Math.floor(index / 0x100000000);
  iv.writeUInt16BE(iv.readUInt16BE(8) ^ hi, 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ index) >>> 0, 10);
}

export function createCmRtp(keys: SessionKeys, tagLength: number): RtpTransform {
  const ks = createCounterKeystream(keys.encKey);
  const mac = createPacketHmac(keys.authKey);
  const iv = Buffer.alloc(16);
  const roc = Buffer.alloc(4);
  return {
    tagLength,
    protect(out, hl, len, ssrc, index) {
      fillIv(iv, keys.salt, ssrc, index);
      ks.apply(iv, out, hl, len);
      // the authenticated portion is header || encrypted payload || ROC (§4.2)
      roc.writeUInt32BE(Math.floor(index / 65536), 0);
      mac.digest(out.subarray(0, len), roc).copy(out, len, 0, tagLength);
      return len + tagLength;
    },
    unprotect(packet, hl, ssrc, index, out) {
      const end = packet.length - tagLength;
      roc.writeUInt32BE(Math.floor(index / 65536), 0);
      const want = mac.digest(packet.subarray(0, end), roc);
      if (!timingSafeEqual(want.subarray(0, tagLength), packet.subarray(end))) return -1;
      packet.copy(out, 0, 0, end);
      fillIv(iv, keys.salt, ssrc, index);
      ks.apply(iv, out, hl, end);
      return end;
    },
  };
}

export function createCmRtcp(keys: SessionKeys, tagLength: number): RtcpTransform {
  const ks = createCounterKeystream(keys.encKey);
  const mac = createPacketHmac(keys.authKey);
  const iv = Buffer.alloc(16);
  return {
    trailerLength: 4 + tagLength,
    indexOffset: (len) => len - tagLength - 4,
    protect(out, len, ssrc, index, encrypt) {
      if (encrypt) {
        fillIv(iv, keys.salt, ssrc, index);
        ks.apply(iv, out, 8, len);
      }
      out.writeUInt32BE((encrypt ? 0x80000000 | index : index) >>> 0, len);
      // the E|index word is authenticated, so the E flag cannot be flipped (§3.4)
      mac.digest(out.subarray(0, len + 4), EMPTY).copy(out, len + 4, 0, tagLength);
      return len + 4 + tagLength;
    },
    unprotect(packet, ssrc, out) {
      const end = packet.length - tagLength;
      const want = mac.digest(packet.subarray(0, end), EMPTY);
      if (!timingSafeEqual(want.subarray(0, tagLength), packet.subarray(end))) return -1;
      const plainLen = end - 4;
      const word = packet.readUInt32BE(plainLen);
      packet.copy(out, 0, 0, plainLen);
      if (word >= 0x80000000) {
        fillIv(iv, keys.salt, ssrc, word & 0x7fffffff);
        ks.apply(iv, out, 8, plainLen);
      }
      return plainLen;
    },
  };
}
