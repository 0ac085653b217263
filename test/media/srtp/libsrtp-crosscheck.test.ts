// Byte-for-byte agreement with libsrtp (RFC 3711 §3.1/§3.4, RFC 7714 §8/§9),
// both directions, for every suite: ours protect == libsrtp protect, ours
// protect → libsrtp unprotect, libsrtp protect → ours unprotect. Packets
// cover the ROC rollover (§3.3.1), CSRCs, header extensions and padding.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSrtpContext } from '../../../src/media/srtp/context.js';
import { suite as suiteOf, SUITE_NAMES } from '../../../src/media/srtp/suites.js';
import type { SuiteName } from '../../../src/media/srtp/types.js';
import { libsrtpAvailable, runLibsrtp, type HelperPacket } from './libsrtp.js';

const available = libsrtpAvailable();

function rtp(seq: number, variant: number): Buffer {
  const csrcs = variant % 3 === 1 ? 2 : 0;
  const ext = variant % 4 === 2 ? 2 : -1; // extension words, -1 = no extension
  const payload = randomBytes([160, 0, 1, 17, 33, 200][variant % 6]!);
  const head = Buffer.alloc(12 + 4 * csrcs + (ext >= 0 ? 4 + 4 * ext : 0));
  head[0] = 0x80 | (ext >= 0 ? 0x10 : 0) | csrcs;
  head[1] = variant % 5 === 0 ? 0x80 : 0x00; // marker bit now and then
  head.writeUInt16BE(seq, 2);
  head.writeUInt32BE((seq * 160) >>> 0, 4);
  head.writeUInt32BE(0xcafebabe, 8);
  for (let i = 0; i < csrcs; i++) head.writeUInt32BE(0x1000 + i, 12 + 4 * i);
  if (ext >= 0) {
    const at = 12 + 4 * csrcs;
    head.writeUInt16BE(0xbede, at);
    head.writeUInt16BE(ext, at + 2);
    randomBytes(4 * ext).copy(head, at + 4);
  }
  return Buffer.concat([head, payload]);
}

function rtcp(i: number): Buffer {
  const words = 1 + (i % 7);
  const p = Buffer.concat([Buffer.alloc(8), randomBytes(4 * words)]);
  p[0] = 0x80;
  p[1] = i % 2 === 0 ? 200 : 201;
  p.writeUInt16BE(words + 1, 2);
  p.writeUInt32BE(0xcafebabe, 4);
  return p;
}

/** 40 RTP packets from SEQ 65515 across the wrap to 24, then 10 RTCP packets. */
function traffic(): { rtps: Buffer[]; rtcps: Buffer[] } {
  const rtps: Buffer[] = [];
  for (let k = 0; k < 40; k++) rtps.push(rtp((65515 + k) % 65536, k));
  const rtcps: Buffer[] = [];
  for (let k = 0; k < 10; k++) rtcps.push(rtcp(k));
  return { rtps, rtcps };
}

const asPackets = (kind: 'rtp' | 'rtcp', list: Buffer[]): HelperPacket[] => list.map((data) => ({ kind, data }));

function material(name: SuiteName): { key: Buffer; salt: Buffer; both: Buffer } {
  const s = suiteOf(name);
  const key = randomBytes(s.keyLength);
  const salt = randomBytes(s.saltLength);
  return { key, salt, both: Buffer.concat([key, salt]) };
}

function hexes(list: (Buffer | string)[]): string[] {
  return list.map((x) => (typeof x === 'string' ? x : x.toString('hex')));
}

describe.skipIf(!available)('cross-check with libsrtp (Debian libsrtp2-dev)', () => {
  for (const name of SUITE_NAMES) {
    it(`RFC 3711 §3.1: ${name} SRTP — ours protect equals libsrtp protect, across the ROC wrap`, (t) => {
      const { key, salt, both } = material(name);
      const { rtps } = traffic();
      const theirs = runLibsrtp('protect', name, both, asPackets('rtp', rtps));
      if (theirs === undefined) return t.skip(`libsrtp here has no ${name} (built without GCM)`);
      const ours = createSrtpContext(name, key, salt);
      const mine = rtps.map((p) => {
        const r = ours.protectRtp(p);
        return r.ok ? Buffer.from(r.packet) : `ERR ${r.reason}`;
      });
      expect(hexes(mine)).toEqual(hexes(theirs));
    });

    it(`RFC 3711 §3.3: ${name} SRTP — ours protect, libsrtp unprotect (reordered around the wrap)`, (t) => {
      const { key, salt, both } = material(name);
      const { rtps } = traffic();
      const ours = createSrtpContext(name, key, salt);
      const wire = rtps.map((p) => {
        const r = ours.protectRtp(p);
        if (!r.ok) throw new Error(r.reason);
        return Buffer.from(r.packet);
      });
      // swap neighbours around the rollover (65535 ↔ 0 and 1 ↔ 2) to exercise ROC-1 guesses
      const order = wire.map((_, i) => i);
      for (const i of [20, 22]) [order[i], order[i + 1]] = [order[i + 1]!, order[i]!];
      const plain = runLibsrtp('unprotect', name, both, asPackets('rtp', order.map((i) => wire[i]!)));
      if (plain === undefined) return t.skip(`libsrtp here has no ${name}`);
      expect(hexes(plain)).toEqual(hexes(order.map((i) => rtps[i]!)));
    });

    it(`RFC 3711 §3.3: ${name} SRTP — libsrtp protect, ours unprotect`, (t) => {
      const { key, salt, both } = material(name);
      const { rtps } = traffic();
      const wire = runLibsrtp('protect', name, both, asPackets('rtp', rtps));
      if (wire === undefined) return t.skip(`libsrtp here has no ${name}`);
      const ours = createSrtpContext(name, key, salt);
      const plain = wire.map((w) => {
        if (typeof w === 'string') return w;
        const r = ours.unprotectRtp(w);
        return r.ok ? Buffer.from(r.packet) : `ERR ${r.reason}`;
      });
      expect(hexes(plain)).toEqual(hexes(rtps));
    });

    it(`RFC 3711 §3.4: ${name} SRTCP — both directions, and equal output for equal index`, (t) => {
      const { key, salt, both } = material(name);
      const { rtcps } = traffic();
      const theirWire = runLibsrtp('protect', name, both, asPackets('rtcp', rtcps));
      if (theirWire === undefined) return t.skip(`libsrtp here has no ${name}`);
      // libsrtp → ours
      const rx = createSrtpContext(name, key, salt);
      const opened = theirWire.map((w) => {
        if (typeof w === 'string') return w;
        const r = rx.unprotectRtcp(w);
        return r.ok ? Buffer.from(r.packet) : `ERR ${r.reason}`;
      });
      expect(hexes(opened)).toEqual(hexes(rtcps));
      // ours → libsrtp. We start the SRTCP index at 0 as §3.4 says; libsrtp
      // starts at 1, so our packet k+1 must equal libsrtp's packet k.
      const tx = createSrtpContext(name, key, salt);
      const ourWire = [rtcp(99), ...rtcps].map((p) => {
        const r = tx.protectRtcp(p);
        if (!r.ok) throw new Error(r.reason);
        return Buffer.from(r.packet);
      });
      expect(hexes(ourWire.slice(1))).toEqual(hexes(theirWire));
      const theirPlain = runLibsrtp('unprotect', name, both, asPackets('rtcp', ourWire));
      expect(hexes(theirPlain ?? []).slice(1)).toEqual(hexes(rtcps));
      // index 0 is accepted by libsrtp as well
      expect(typeof theirPlain?.[0]).not.toBe('string');
    });

    it(`RFC 3711 §3.3.2: ${name} — libsrtp and ours both refuse a replayed SRTP packet`, (t) => {
      const { key, salt, both } = material(name);
      const tx = createSrtpContext(name, key, salt);
      const r1 = tx.protectRtp(rtp(7, 0));
      if (!r1.ok) throw new Error(r1.reason);
      const w = Buffer.from(r1.packet);
      const theirs = runLibsrtp('unprotect', name, both, asPackets('rtp', [w, w]));
      if (theirs === undefined) return t.skip(`libsrtp here has no ${name}`);
      expect(typeof theirs[0]).not.toBe('string');
      expect(theirs[1]).toMatch(/^ERR/);
      const rx = createSrtpContext(name, key, salt);
      expect(rx.unprotectRtp(w).ok).toBe(true);
      expect(rx.unprotectRtp(w)).toEqual({ ok: false, reason: 'replay' });
    });
  }
});
