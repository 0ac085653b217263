// Hostile input: random mutations of real bodies never throw, whatever parses
// round-trips and rewrites cleanly, and the cost grows linearly with size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attrName, locateSdp, mediaInfos, newLegOrigin, parseSdp, rewriteSdp, sdpToBuffer, serializeSdp } from '../../../src/media/sdp/index.js';
import { ALL, BARESIP, MULTIPART, MULTIPART_CT } from './fixtures.js';

const bodies = Object.values(ALL).map((s) => Buffer.from(s, 'utf8'));

/** A mutation: overwrite, insert or delete a run of bytes, biased towards SDP-significant characters. */
const mutation = fc.record({
  body: fc.integer({ min: 0, max: bodies.length - 1 }),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom('set', 'insert', 'delete'),
      at: fc.nat(),
      bytes: fc.array(fc.oneof(fc.constantFrom(0x0d, 0x0a, 0x3d, 0x20, 0x3a, 0x2f, 0x30, 0x6d, 0x63, 0x61, 0x00), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
});

function mutate(m: { body: number; edits: { kind: string; at: number; bytes: number[] }[] }): Buffer {
  let b = bodies[m.body]!;
  for (const e of m.edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    const ins = Buffer.from(e.bytes);
    if (e.kind === 'insert') b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at)]);
    else if (e.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.bytes.length)]);
    else b = Buffer.concat([b.subarray(0, at), ins, b.subarray(at + ins.length)]);
  }
  return b;
}

describe('fast-check: mutated bodies', () => {
  it('never throw; a body that parses serializes to the same bytes, and its accessors and rewrite do not throw', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const b = mutate(m);
        const r = parseSdp(b);
        if (!r.ok) {
          expect(typeof r.reason).toBe('string');
          return;
        }
        expect(sdpToBuffer(r.sdp).equals(b)).toBe(true);
        const infos = mediaInfos(r.sdp);
        const rw = rewriteSdp(r.sdp, {
          address: '203.0.113.50',
          leg: newLegOrigin({ sessionId: '1' }),
          media: r.sdp.media.map((_, i) => ({ address: '203.0.113.50', port: 20000 + 2 * i, rtcpPort: 20001 + 2 * i, proto: 'RTP/SAVP' as const, crypto: ['1 AES_CM_128_HMAC_SHA1_80 inline:x'] })),
          stripIce: true,
        });
        if (rw.ok) {
          const again = parseSdp(rw.text);
          if (!again.ok) throw new Error(again.detail);
          const attrs = [...again.sdp.session, ...again.sdp.media.flat()].filter((l) => l.type === 'a').map((l) => attrName(l.text));
          expect(attrs.filter((n) => n === 'candidate' || n.startsWith('ice-'))).toEqual([]);
        }
        expect(infos.length).toBeLessThanOrEqual(r.sdp.media.length);
      }),
      { numRuns: 3000 },
    );
  });
  it('arbitrary bytes and strings never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.string({ maxLength: 300 }), (bytes, str) => {
        parseSdp(Buffer.from(bytes));
        parseSdp('v=0\r\n' + str);
        locateSdp('multipart/mixed; boundary=b', Buffer.from(bytes));
      }),
      { numRuns: 2000 },
    );
  });
  it('mutated multipart bodies never throw', () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 }), (at, bytes) => {
        const p = at % MULTIPART.length;
        const b = Buffer.concat([MULTIPART.subarray(0, p), Buffer.from(bytes), MULTIPART.subarray(p)]);
        const r = locateSdp(MULTIPART_CT, b);
        if (r.ok) {
          expect(r.location.start).toBeLessThanOrEqual(r.location.end);
          expect(r.location.end).toBeLessThanOrEqual(b.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('linear time', () => {
  /** Best of several runs: the least noisy figure on a shared machine. */
  function best(fn: () => void): number {
    let min = Infinity;
    for (let i = 0; i < 7; i++) {
      const t = process.hrtime.bigint();
      fn();
      min = Math.min(min, Number(process.hrtime.bigint() - t));
    }
    return min;
  }
  const limits = { maxBytes: 1 << 24, maxLines: 1 << 20, maxLineBytes: 1 << 22, maxMedia: 1 << 16 };
  it('8× the lines costs well under 8² (many attribute lines, many m= sections, one huge line)', () => {
    const shapes: ((n: number) => string)[] = [
      (n) => BARESIP + 'a=candidate:1 1 UDP 1 192.0.2.1 1 typ host\r\n'.repeat(n),
      (n) => BARESIP + 'm=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n'.repeat(n),
      (n) => BARESIP + 'a=x:' + ' '.repeat(n * 40) + '\r\n',
      (n) => BARESIP + 'm=audio 1 RTP/AVP' + ' 0'.repeat(n * 20) + '\r\n',
    ];
    for (const shape of shapes) {
      const small = shape(1000);
      const large = shape(8000);
      const work = (s: string) => () => {
        const r = parseSdp(s, limits);
        if (!r.ok) throw new Error(r.detail);
        mediaInfos(r.sdp);
        serializeSdp(r.sdp);
      };
      const ratio = best(work(large)) / best(work(small));
      // Linear is ~8; quadratic would be ~64. Generous margin for GC and noise.
      expect(ratio).toBeLessThan(24);
    }
  });
});
