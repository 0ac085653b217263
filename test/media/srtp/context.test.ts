// Stream behaviour of a context: RFC 3711 §3.3.1 index estimation across the
// ROC wrap, §3.3.2 replay window, §3.3 tag-before-anything, §3.4 SRTCP.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSrtpContext } from '../../../src/media/srtp/context.js';
import { suite as suiteOf, SUITE_NAMES } from '../../../src/media/srtp/suites.js';
import type { SrtpContext, SuiteName } from '../../../src/media/srtp/types.js';

function rtp(seq: number, ssrc = 0x11223344, payload: Buffer = Buffer.alloc(160, seq & 0xff)): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h.writeUInt16BE(seq, 2);
  h.writeUInt32BE(ssrc, 8);
  return Buffer.concat([h, payload]);
}

function pair(name: SuiteName, window?: 64 | 128): { tx: SrtpContext; rx: SrtpContext } {
  const s = suiteOf(name);
  const key = randomBytes(s.keyLength);
  const salt = randomBytes(s.saltLength);
  const opts = window === undefined ? {} : { replayWindow: window };
  return { tx: createSrtpContext(name, key, salt, opts), rx: createSrtpContext(name, key, salt, opts) };
}

function protect(tx: SrtpContext, p: Buffer): Buffer {
  const r = tx.protectRtp(p);
  if (!r.ok) throw new Error(`protect: ${r.reason}`);
  return Buffer.from(r.packet); // the view is only valid until the next call
}

describe.each(SUITE_NAMES)('%s', (name) => {
  it('§3.3.1: ROC rollover, SEQ 65535 → 0 → 1 decrypts with ROC 1', () => {
    const { tx, rx } = pair(name);
    for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
      const r = rx.unprotectRtp(protect(tx, rtp(seq)));
      expect(r.ok && r.packet.equals(rtp(seq))).toBe(true);
    }
  });

  it('§3.3.1: reordering around the rollover (0 before 65535, late 65534) still authenticates', () => {
    const { tx, rx } = pair(name);
    const seqs = [65532, 65533, 65534, 65535, 0, 1, 2];
    const wire = new Map(seqs.map((s) => [s, protect(tx, rtp(s))]));
    for (const seq of [65532, 65533, 0, 65535, 1, 65534, 2]) {
      const r = rx.unprotectRtp(wire.get(seq)!);
      expect(r.ok && r.packet.equals(rtp(seq)), `seq ${seq}`).toBe(true);
    }
  });

  it('§3.3.1: the sender estimates its ROC too, so a reordered plain stream is protected right', () => {
    const { tx, rx } = pair(name);
    // the relay's plain side delivers 0 before 65535: both must carry the index the receiver guesses
    const a = protect(tx, rtp(65534));
    const b = protect(tx, rtp(0));
    const c = protect(tx, rtp(65535));
    for (const [w, seq] of [[a, 65534], [b, 0], [c, 65535]] as const) {
      const r = rx.unprotectRtp(w);
      expect(r.ok && r.packet.equals(rtp(seq))).toBe(true);
    }
  });

  it('§3.3.2: a duplicate is refused as replay, an unseen packet inside the window is accepted', () => {
    const { tx, rx } = pair(name);
    const wire = Array.from({ length: 100 }, (_, i) => protect(tx, rtp(1000 + i)));
    for (let i = 0; i < 100; i++) if (i !== 50) expect(rx.unprotectRtp(wire[i]!).ok).toBe(true);
    // 50 is 49 behind the top (1099): just inside a 64-packet window
    expect(rx.unprotectRtp(wire[50]!).ok).toBe(true);
    expect(rx.unprotectRtp(wire[50]!)).toEqual({ ok: false, reason: 'replay' });
    expect(rx.unprotectRtp(wire[99]!)).toEqual({ ok: false, reason: 'replay' });
  });

  it('§3.3.2: window edges — top-63 accepted, top-64 too old (64); top-127 accepted with 128', () => {
    for (const size of [64, 128] as const) {
      const { tx, rx } = pair(name, size);
      const wire = Array.from({ length: size + 2 }, (_, i) => protect(tx, rtp(5000 + i)));
      const top = size + 1;
      expect(rx.unprotectRtp(wire[top]!).ok).toBe(true);
      expect(rx.unprotectRtp(wire[top - size]!)).toEqual({ ok: false, reason: 'replay' });
      expect(rx.unprotectRtp(wire[top - size + 1]!).ok).toBe(true);
    }
  });

  it('§3.3: every tampered byte (header, payload, tag) is refused with no state change', () => {
    const { tx, rx } = pair(name);
    const good = protect(tx, rtp(42));
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 0x01;
      const r = rx.unprotectRtp(bad);
      expect(r.ok, `byte ${i}`).toBe(false);
    }
    // nothing above was accepted, so the genuine packet is still fresh
    const r = rx.unprotectRtp(good);
    expect(r.ok && r.packet.equals(rtp(42))).toBe(true);
  });

  it('§3.3: a forged packet far ahead does not move the window', () => {
    const { tx, rx } = pair(name);
    const first = protect(tx, rtp(10));
    const forged = Buffer.from(protect(tx, rtp(30000)));
    forged[forged.length - 1]! ^= 0xff;
    expect(rx.unprotectRtp(forged)).toEqual({ ok: false, reason: 'auth' });
    expect(rx.unprotectRtp(first).ok).toBe(true);
  });

  it('§3.1: CSRCs and a header extension stay in the clear, only the payload is encrypted', () => {
    const { tx, rx } = pair(name);
    const h = Buffer.alloc(12 + 8 + 12);
    h[0] = 0x80 | 0x10 | 2;
    h.writeUInt16BE(7, 2);
    h.writeUInt32BE(0xabcdef01, 8);
    h.writeUInt32BE(1, 12);
    h.writeUInt32BE(2, 16);
    h.writeUInt16BE(0xbede, 20);
    h.writeUInt16BE(2, 22);
    h.fill(0x77, 24, 32);
    const payload = Buffer.alloc(40, 0x33);
    const plain = Buffer.concat([h, payload]);
    const w = protect(tx, plain);
    expect(w.subarray(0, h.length).equals(h)).toBe(true);
    expect(w.subarray(h.length, h.length + 40).equals(payload)).toBe(false);
    const r = rx.unprotectRtp(w);
    expect(r.ok && r.payload.equals(payload)).toBe(true);
  });

  it('refuses short and malformed packets as values, never throwing', () => {
    const { rx, tx } = pair(name);
    expect(rx.unprotectRtp(Buffer.alloc(5))).toEqual({ ok: false, reason: 'short' });
    const v1 = Buffer.alloc(40);
    v1[0] = 0x40;
    expect(rx.unprotectRtp(v1)).toEqual({ ok: false, reason: 'bad_header' });
    const ext = Buffer.alloc(40);
    ext[0] = 0x90;
    ext.writeUInt16BE(0xffff, 14); // extension longer than the packet
    expect(rx.unprotectRtp(ext)).toEqual({ ok: false, reason: 'bad_header' });
    expect(tx.protectRtp(Buffer.alloc(3))).toEqual({ ok: false, reason: 'short' });
    expect(rx.unprotectRtcp(Buffer.alloc(10))).toEqual({ ok: false, reason: 'short' });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b = Buffer.from(bytes);
      expect(rx.unprotectRtp(b).ok).toBe(false);
      expect(rx.unprotectRtcp(b).ok).toBe(false);
    }), { numRuns: 300 });
  });

  it('protect refuses to reuse an index (a duplicate from the plain side)', () => {
    const { tx } = pair(name);
    protect(tx, rtp(9));
    expect(tx.protectRtp(rtp(9))).toEqual({ ok: false, reason: 'replay' });
  });

  it('§3.4: SRTCP carries E=1 and a 31-bit index counting from 0; replays are refused', () => {
    const { tx, rx } = pair(name);
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(0x55667788, 4);
    const s = suiteOf(name);
    const wires: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const r = tx.protectRtcp(sr);
      if (!r.ok) throw new Error(r.reason);
      const w = Buffer.from(r.packet);
      const wordAt = s.aead ? w.length - 4 : w.length - s.rtcpTagLength - 4;
      expect(w.readUInt32BE(wordAt)).toBe((0x80000000 | i) >>> 0);
      expect(w.subarray(8, 28).equals(sr.subarray(8))).toBe(false);
      expect(w.subarray(0, 8).equals(sr.subarray(0, 8))).toBe(true);
      wires.push(w);
    }
    expect(rx.unprotectRtcp(wires[2]!).ok).toBe(true);
    const r0 = rx.unprotectRtcp(wires[0]!);
    expect(r0.ok && r0.packet.equals(sr)).toBe(true);
    expect(rx.unprotectRtcp(wires[0]!)).toEqual({ ok: false, reason: 'replay' });
    // clearing the E flag (claiming "not encrypted") breaks the tag: it is authenticated
    const flipped = Buffer.from(wires[1]!);
    const wordAt = s.aead ? flipped.length - 4 : flipped.length - s.rtcpTagLength - 4;
    flipped[wordAt]! &= 0x7f;
    expect(rx.unprotectRtcp(flipped)).toEqual({ ok: false, reason: 'auth' });
    expect(rx.unprotectRtcp(wires[1]!).ok).toBe(true);
  });
});

describe('key separation', () => {
  it('a context with another key refuses the packets (auth), for SRTP and SRTCP', () => {
    const a = pair('AES_CM_128_HMAC_SHA1_80');
    const b = pair('AES_CM_128_HMAC_SHA1_80');
    expect(b.rx.unprotectRtp(protect(a.tx, rtp(1)))).toEqual({ ok: false, reason: 'auth' });
  });
  it('AES_CM_128_HMAC_SHA1_32 has a 4-byte SRTP tag but a 10-byte SRTCP tag (RFC 4568 §6.2.2)', () => {
    const { tx } = pair('AES_CM_128_HMAC_SHA1_32');
    expect(protect(tx, rtp(1)).length).toBe(172 + 4);
    const r = tx.protectRtcp(Buffer.from('80c90001cafebabe', 'hex'));
    expect(r.ok && r.packet.length).toBe(8 + 4 + 10);
  });
  it('streams are bounded: the oldest SSRC is forgotten past maxStreams', () => {
    const s = suiteOf('AES_CM_128_HMAC_SHA1_80');
    const key = randomBytes(s.keyLength);
    const salt = randomBytes(s.saltLength);
    const tx = createSrtpContext(s.name, key, salt);
    const rx = createSrtpContext(s.name, key, salt, { maxStreams: 2 });
    const w1 = protect(tx, rtp(1, 1));
    expect(rx.unprotectRtp(w1).ok).toBe(true);
    expect(rx.unprotectRtp(protect(tx, rtp(1, 2))).ok).toBe(true);
    expect(rx.unprotectRtp(protect(tx, rtp(1, 3))).ok).toBe(true);
    // SSRC 1's window was dropped; its packet is fresh again (bounded memory wins over a stale window)
    expect(rx.unprotectRtp(w1).ok).toBe(true);
  });
});

describe('output buffers (sharedOutput, releaseOutput)', () => {
  const name: SuiteName = 'AES_CM_128_HMAC_SHA1_80';
  const make = (shared: boolean): { tx: SrtpContext; rx: SrtpContext } => {
    const s = suiteOf(name);
    const key = randomBytes(s.keyLength);
    const salt = randomBytes(s.saltLength);
    return { tx: createSrtpContext(name, key, salt, { sharedOutput: shared }), rx: createSrtpContext(name, key, salt, { sharedOutput: shared }) };
  };

  it('contexts of one thread with sharedOutput write protect results to one buffer: the next protect on any of them reuses it', () => {
    const a = make(true);
    const b = make(true);
    const ra = a.tx.protectRtp(rtp(1, 0xaaaa));
    const copyA = ra.ok ? Buffer.from(ra.packet) : Buffer.alloc(0);
    const rb = b.tx.protectRtp(rtp(1, 0xbbbb));
    expect(ra.ok && rb.ok && ra.packet.buffer === rb.packet.buffer).toBe(true);
    // a's view now shows b's packet (same offsets, same length): valid until the next call, as documented
    expect(ra.ok && ra.packet.equals(copyA)).toBe(false);
    // contexts without the option keep their own buffers
    const c = make(false);
    const d = make(false);
    const rc = c.tx.protectRtp(rtp(1));
    const rd = d.tx.protectRtp(rtp(1));
    expect(rc.ok && rd.ok && rc.packet.buffer !== rd.packet.buffer).toBe(true);
  });

  it('an unprotect result survives a protect on another shared context (the relay protects what it just opened)', () => {
    const a = make(true);
    const b = make(true);
    const wire = protect(a.tx, rtp(7, 0x1234));
    const opened = a.rx.unprotectRtp(wire);
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    const resealed = b.tx.protectRtp(opened.packet);
    expect(resealed.ok).toBe(true);
    expect(opened.packet.equals(rtp(7, 0x1234))).toBe(true);
    const back = b.rx.unprotectRtp(resealed.ok ? Buffer.from(resealed.packet) : Buffer.alloc(0));
    expect(back.ok && back.packet.equals(rtp(7, 0x1234))).toBe(true);
  });

  it('after releaseOutput the bytes already handed out stay as they were', () => {
    for (const shared of [false, true]) {
      const { tx } = make(shared);
      const first = tx.protectRtp(rtp(1));
      if (!first.ok) throw new Error('protect');
      const kept = Buffer.from(first.packet);
      tx.releaseOutput?.();
      const second = tx.protectRtp(rtp(2));
      expect(second.ok).toBe(true);
      expect(first.packet.equals(kept)).toBe(true);
    }
  });
});
