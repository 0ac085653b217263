import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scrubSdes } from '../../../src/media/relay/sdes.js';

/** An RTCP RR (no report blocks) followed by an SDES with one chunk. */
function compound(ssrc: number, items: Array<[number, string]>): Buffer {
  const rr = Buffer.from([0x80, 201, 0x00, 0x01, 0, 0, 0, 0]);
  rr.writeUInt32BE(ssrc, 4);
  const body: number[] = [];
  for (const [t, text] of items) body.push(t, text.length, ...Buffer.from(text, 'latin1'));
  body.push(0);
  while ((4 + body.length) % 4 !== 0) body.push(0);
  const sdes = Buffer.alloc(4 + 4 + body.length);
  sdes[0] = 0x81;
  sdes[1] = 202;
  sdes.writeUInt16BE(sdes.length / 4 - 1, 2);
  sdes.writeUInt32BE(ssrc, 4);
  Buffer.from(body).copy(sdes, 8);
  return Buffer.concat([rr, sdes]);
}

describe('RFC 3550 §6.5 SDES text never crosses the realms', () => {
  it('overwrites CNAME and TOOL in place, same length, CNAME derived from the SSRC', () => {
    const p = compound(0x1234abcd, [[1, 'alice@10.1.2.3'], [6, 'baresip v1.0.0']]);
    const before = Buffer.from(p);
    scrubSdes(p);
    const text = p.toString('latin1');
    expect(p.length).toBe(before.length);
    expect(text).not.toContain('10.1.2.3');
    expect(text).not.toContain('baresip');
    expect(text).toContain('1234abcd1234ab'); // 14 characters, like the original CNAME
    expect(p.subarray(0, 12).equals(before.subarray(0, 12))).toBe(true); // the RR is untouched
  });
  it('never throws and never changes the length on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        scrubSdes(b);
        expect(b.length).toBe(bytes.length);
      }),
    );
  });
});
