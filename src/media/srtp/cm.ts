// AES_CM_128_HMAC_SHA1_{80,32}: AES counter mode (RFC 3711 §4.1.1) and
// HMAC-SHA1 truncated to the suite's tag (§4.2.1). The tag is computed over
// the packet as received and compared before any byte is decrypted.
import { PacketHmac, tagMatches, writeTag } from './hmac.js';
import { IndexedKeystream } from './keystream.js';
import { RTP_HEADROOM, type RtcpTransform, type RtpTransform } from './transform.js';
import type { SessionKeys } from './types.js';

const H = RTP_HEADROOM;

export function createCmRtp(keys: SessionKeys, tagLength: number): RtpTransform {
  const ks = new IndexedKeystream(keys.encKey, keys.salt);
  const mac = new PacketHmac(keys.authKey);
  return {
    tagLength,
    protect(out, hl, len, ssrc, index) {
      ks.xor(ssrc, index, out, H + hl, H + len);
      // the authenticated portion is header || encrypted payload || ROC (§4.2);
      // the ROC's 4 bytes sit where the tag goes, then the tag overwrites them
      out.writeUInt32BE(Math.floor(index / 65536), H + len);
      writeTag(mac.macInPlace(out, H, H + len + 4), out, H + len, tagLength);
      return len + tagLength;
    },
    unprotect(packet, hl, ssrc, index, out) {
      const end = packet.length - tagLength;
      // copy first (the tag stays in `packet` to compare), authenticate our copy
      out.set(packet, H);
      out.writeUInt32BE(Math.floor(index / 65536), H + end);
      if (!tagMatches(mac.macInPlace(out, H, H + end + 4), packet, end, tagLength)) return -1;
      ks.xor(ssrc, index, out, H + hl, H + end);
      return end;
    },
  };
}

export function createCmRtcp(keys: SessionKeys, tagLength: number): RtcpTransform {
  const ks = new IndexedKeystream(keys.encKey, keys.salt);
  const mac = new PacketHmac(keys.authKey);
  return {
    trailerLength: 4 + tagLength,
    indexOffset: (len) => len - tagLength - 4,
    protect(out, len, ssrc, index, encrypt) {
      if (encrypt) ks.xor(ssrc, index, out, 8, len);
      out.writeUInt32BE((encrypt ? 0x80000000 | index : index) >>> 0, len);
      // the E|index word is authenticated, so the E flag cannot be flipped (§3.4)
      writeTag(mac.mac(out, 0, len + 4), out, len + 4, tagLength);
      return len + 4 + tagLength;
    },
    unprotect(packet, ssrc, out) {
      const end = packet.length - tagLength;
      if (!tagMatches(mac.mac(packet, 0, end), packet, end, tagLength)) return -1;
      const plainLen = end - 4;
      const word = packet.readUInt32BE(plainLen);
      packet.copy(out, 0, 0, plainLen);
      if (word >= 0x80000000) ks.xor(ssrc, word & 0x7fffffff, out, 8, plainLen);
      return plainLen;
    },
  };
}
