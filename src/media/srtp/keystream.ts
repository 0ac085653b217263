// AES counter-mode keystream for SRTP (RFC 3711 §4.1.1) from one AES-ECB
// cipher kept for the session: creating an AES-CTR cipher per packet costs
// more than the encryption itself. Counter blocks are laid out in a reused
// buffer and encrypted with a single ECB update call.
//
// Each `update` call costs ≈0.45 µs whatever its size up to a few KB (a
// native call and a Buffer for its output), more than AES-NI needs for a
// whole G.711 packet. So `IndexedKeystream` computes the keystream of the
// next packets of a stream in one call once the stream is seen to be
// sequential: a keystream depends only on (SSRC, index), both known ahead,
// and a stream's packets come in order. Decrypting twice with one keystream
// is harmless, and protect never reaches here twice for an index (the
// context refuses the reuse).
import { createCipheriv, type Cipher } from 'node:crypto';

export interface CounterKeystream {
  /**
   * XOR the keystream for IV `iv` (16 bytes, low 16 bits zero) into
   * `data[start, end)`, in place.
   */
  apply(iv: Buffer, data: Buffer, start: number, end: number): void;
}

function ecbFor(key: Buffer): Cipher {
  const algo = key.length === 32 ? 'aes-256-ecb' : 'aes-128-ecb';
  const ecb: Cipher = createCipheriv(algo, key, null);
  // ECB never pads here (we always feed whole blocks) and never finishes
  ecb.setAutoPadding(false);
  return ecb;
}

export function createCounterKeystream(key: Buffer): CounterKeystream {
  const ecb = ecbFor(key);
  let blocks = Buffer.alloc(0);
  let capacity = 0;

  function grow(n: number): void {
    capacity = Math.max(n, 128);
    blocks = Buffer.alloc(capacity * 16);
    // the block counter j sits in the low 16 bits; it never changes per slot
    for (let j = 0; j < capacity; j++) blocks.writeUInt16BE(j & 0xffff, j * 16 + 14);
  }

  return {
    apply(iv, data, start, end) {
      const len = end - start;
      if (len <= 0) return;
      const n = (len + 15) >>> 4;
      if (n > capacity) grow(n);
      // SRTP payloads are < 2^16 blocks, so only the top 14 bytes vary per packet
      for (let j = 0; j < n; j++) {
        const o = j * 16;
        for (let k = 0; k < 14; k++) blocks[o + k] = iv[k]!;
      }
      const ks = ecb.update(blocks.subarray(0, n * 16));
      for (let i = 0; i < len; i++) data[start + i]! ^= ks[i]!;
    },
  };
}

/** Most packets whose keystream one call computes ahead. */
const AHEAD_PACKETS = 16;
/** Most blocks one call computes ahead (4 KB of keystream). */
const AHEAD_BLOCKS = 256;

// Counter blocks are consumed by the ECB call that follows their writing, so
// one buffer serves every context of the thread: a relay with hundreds of
// streams keeps this one warm instead of touching one per stream.
let sharedBlocks = Buffer.alloc(AHEAD_BLOCKS * 16);
let sharedView = new DataView(sharedBlocks.buffer, sharedBlocks.byteOffset, sharedBlocks.length);

/**
 * The keystream of SRTP/SRTCP packets addressed by (SSRC, index): the IV of
 * §4.1.1, (k_s·2^16) ⊕ (SSRC·2^64) ⊕ (index·2^16), built from the session salt.
 */
export class IndexedKeystream {
  private readonly ecb: Cipher;
  /** the salt's words: bytes 0..3, 4..7, 8..11 and 12..13 (big-endian) */
  private readonly s0: number;
  private readonly s1: number;
  private readonly s2: number;
  private readonly s3: number;
  /** keystream of packets base .. base+count-1 of `ssrc`, `slot` blocks each */
  private ks: Buffer = Buffer.alloc(0);
  private ks32: Int32Array | undefined;
  private ssrc = -1;
  private base = 0;
  private count = 0;
  private slot = 0;
  /** last (SSRC, index) asked for, to tell a sequential stream */
  private lastSsrc = -1;
  private lastIndex = -1;
  /** 32-bit view of the last data buffer, when aligned */
  private data: Buffer | undefined;
  private data32: Int32Array | undefined;

  constructor(key: Buffer, salt: Buffer) {
    this.ecb = ecbFor(key);
    this.s0 = salt.readUInt32BE(0);
    this.s1 = salt.readUInt32BE(4);
    this.s2 = salt.readUInt32BE(8);
    this.s3 = salt.readUInt16BE(12);
  }

  /** XOR the keystream of packet (`ssrc`, `index`) into `data[start, end)`, in place. */
  xor(ssrc: number, index: number, data: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len <= 0) return;
    const need = (len + 15) >>> 4;
    let at: number;
    if (ssrc === this.ssrc && index >= this.base && index < this.base + this.count && need <= this.slot) {
      at = (index - this.base) * this.slot * 16;
    } else {
      // ahead only for a stream seen to be sequential: a lone or random
      // packet would pay for keystream nobody uses
      const sequential = ssrc === this.lastSsrc && index > this.lastIndex && index - this.lastIndex <= 2;
      const slot = sequential ? Math.max(need, this.slot) : need;
      const count = sequential ? Math.max(1, Math.min(AHEAD_PACKETS, Math.floor(AHEAD_BLOCKS / slot))) : 1;
      this.fill(ssrc, index, count, slot);
      at = 0;
    }
    this.lastSsrc = ssrc;
    this.lastIndex = index;

    const ks = this.ks;
    let i = 0;
    if (data !== this.data) {
      this.data = data;
      this.data32 = (data.byteOffset & 3) === 0 ? new Int32Array(data.buffer, data.byteOffset, data.length >>> 2) : undefined;
    }
    const d32 = this.data32;
    const k32 = this.ks32;
    if (d32 !== undefined && k32 !== undefined && (start & 3) === 0) {
      // word at a time: `at` is a multiple of 16 and both views are aligned
      const words = len >>> 2;
      const d0 = start >>> 2;
      const k0 = at >>> 2;
      for (let w = 0; w < words; w++) d32[d0 + w]! ^= k32[k0 + w]!;
      i = words << 2;
    }
    for (; i < len; i++) data[start + i]! ^= ks[at + i]!;
  }

  private fill(ssrc: number, index: number, count: number, slot: number): void {
    const total = count * slot;
    if (sharedBlocks.length < total * 16) {
      sharedBlocks = Buffer.alloc(total * 16);
      sharedView = new DataView(sharedBlocks.buffer, sharedBlocks.byteOffset, sharedBlocks.length);
    }
    const v = sharedView;
    const w0 = this.s0;
    const w1 = (this.s1 ^ ssrc) >>> 0;
    let o = 0;
    for (let p = 0; p < count; p++) {
      const ix = index + p;
      const hi = Math.floor(ix / 0x100000000) & 0xffff;
      const lo = ix >>> 0;
      const w2 = (this.s2 ^ ((hi << 16) | (lo >>> 16))) >>> 0;
      const w3 = ((this.s3 ^ (lo & 0xffff)) << 16) >>> 0;
      for (let j = 0; j < slot; j++) {
        v.setUint32(o, w0);
        v.setUint32(o + 4, w1);
        v.setUint32(o + 8, w2);
        v.setUint32(o + 12, (w3 | j) >>> 0);
        o += 16;
      }
    }
    const ks = this.ecb.update(sharedBlocks.subarray(0, total * 16));
    this.ks = ks;
    this.ks32 = (ks.byteOffset & 3) === 0 ? new Int32Array(ks.buffer, ks.byteOffset, ks.length >>> 2) : undefined;
    this.ssrc = ssrc;
    this.base = index;
    this.count = count;
    this.slot = slot;
  }
}
