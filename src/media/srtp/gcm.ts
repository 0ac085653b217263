// AEAD_AES_128_GCM / AEAD_AES_256_GCM, RFC 7714. Node offers no way to rekey
// or re-IV a GCM cipher object, so one is created per packet (measured in
// bench/media-srtp.ts); the key itself is imported once as a KeyObject.
// Decryption output is discarded unless final() verified the tag, so
// nothing of a forged packet reaches the caller or the stream state.
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { RTP_HEADROOM, type RtcpTransform, type RtpTransform } from './transform.js';
import type { SessionKeys } from './types.js';

const TAG = 16;
const H = RTP_HEADROOM;

/** RTP IV, §8.1: (00 00 || SSRC || ROC || SEQ) XOR salt. */
function rtpIv(iv: Buffer, salt: Buffer, ssrc: number, index: number): void {
  iv.fill(0, 0, 2);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.writeUInt32BE(Math.floor(index / 65536), 6);
  iv.writeUInt16BE(index % 65536, 10);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
}

/** RTCP IV, §9.1: (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt. */
function rtcpIv(iv: Buffer, salt: Buffer, ssrc: number, index: number): void {
  iv.fill(0, 0, 2);
  iv.writeUInt32BE(ssrc >>> 0, 2);
  iv.fill(0, 6, 8);
  iv.writeUInt32BE(index & 0x7fffffff, 8);
  for (let i = 0; i < 12; i++) iv[i]! ^= salt[i]!;
}

function algorithm(key: Buffer): 'aes-128-gcm' | 'aes-256-gcm' {
  return key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
}

/**
 * The last views cut from one buffer, reused while the next packet has the
 * same layout (a stream's packets mostly do): the cipher object per packet is
 * unavoidable, the views around it are not.
 */
class Views {
  private of: Buffer | undefined;
  private from = -1;
  private mid = -1;
  private to = -1;
  head: Buffer = Buffer.alloc(0);
  body: Buffer = Buffer.alloc(0);

  cut(buf: Buffer, from: number, mid: number, to: number): this {
    if (buf !== this.of || from !== this.from || mid !== this.mid || to !== this.to) {
      this.of = buf;
      this.from = from;
      this.mid = mid;
      this.to = to;
      this.head = buf.subarray(from, mid);
      this.body = buf.subarray(mid, to);
    }
    return this;
  }
}

export function createGcmRtp(keys: SessionKeys): RtpTransform {
  const algo = algorithm(keys.encKey);
  const key: KeyObject = createSecretKey(keys.encKey);
  const iv = Buffer.alloc(12);
  const pv = new Views();
  // a received packet is a new buffer each time: views into it are cut per packet
  return {
    tagLength: TAG,
    protect(out, hl, len, ssrc, index) {
      rtpIv(iv, keys.salt, ssrc, index);
      // GCM's default tag is the full 16 bytes (RFC 7714 §14.1); no options object per packet
      const c = createCipheriv(algo, key, iv);
      const v = pv.cut(out, H, H + hl, H + len);
      c.setAAD(v.head);
      out.set(c.update(v.body), H + hl);
      c.final();
      out.set(c.getAuthTag(), H + len);
      return len + TAG;
    },
    unprotect(packet, hl, ssrc, index, out) {
      const end = packet.length - TAG;
      rtpIv(iv, keys.salt, ssrc, index);
      const d = createDecipheriv(algo, key, iv, { authTagLength: TAG });
      d.setAuthTag(packet.subarray(end));
      d.setAAD(packet.subarray(0, hl));
      const plain = d.update(packet.subarray(hl, end));
      try {
        d.final();
      } catch {
        return -1;
      }
      packet.copy(out, H, 0, hl);
      out.set(plain, H + hl);
      return end;
    },
  };
}

export function createGcmRtcp(keys: SessionKeys): RtcpTransform {
  const algo = algorithm(keys.encKey);
  const key: KeyObject = createSecretKey(keys.encKey);
  const iv = Buffer.alloc(12);
  const aad = Buffer.alloc(12);
  return {
    trailerLength: TAG + 4,
    indexOffset: (len) => len - 4,
    protect(out, len, ssrc, index, encrypt) {
      const word = (encrypt ? 0x80000000 | index : index) >>> 0;
      rtcpIv(iv, keys.salt, ssrc, index);
      const c = createCipheriv(algo, key, iv, { authTagLength: TAG });
      if (encrypt) {
        // AAD = first 8 octets || E|index (§9.2)
        out.copy(aad, 0, 0, 8);
        aad.writeUInt32BE(word, 8);
        c.setAAD(aad);
        c.update(out.subarray(8, len)).copy(out, 8);
      } else {
        // unencrypted SRTCP authenticates the whole packet || E|index (§9.3)
        out.writeUInt32BE(word, len);
        c.setAAD(out.subarray(0, len + 4));
      }
      c.final();
      c.getAuthTag().copy(out, len);
      out.writeUInt32BE(word, len + TAG);
      return len + TAG + 4;
    },
    unprotect(packet, ssrc, out) {
      const wordAt = packet.length - 4;
      const end = wordAt - TAG;
      const word = packet.readUInt32BE(wordAt);
      const encrypted = word >= 0x80000000;
      rtcpIv(iv, keys.salt, ssrc, word & 0x7fffffff);
      const d = createDecipheriv(algo, key, iv, { authTagLength: TAG });
      d.setAuthTag(packet.subarray(end, wordAt));
      let plain: Buffer | undefined;
      if (encrypted) {
        packet.copy(aad, 0, 0, 8);
        aad.writeUInt32BE(word, 8);
        d.setAAD(aad);
        plain = d.update(packet.subarray(8, end));
      } else {
        d.setAAD(Buffer.concat([packet.subarray(0, end), packet.subarray(wordAt)]));
      }
      try {
        d.final();
      } catch {
        return -1;
      }
      packet.copy(out, 0, 0, encrypted ? 8 : end);
      if (plain !== undefined) plain.copy(out, 8);
      return end;
    },
  };
}
