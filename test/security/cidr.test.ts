import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCidrTrie, parseAddress, parseCidr } from '../../src/security/cidr.js';

describe('address parsing (RFC 791 dotted quad, RFC 4291 §2.2 IPv6 text forms)', () => {
  it('IPv4', () => {
    expect([...parseAddress('192.0.2.1')!.bytes]).toEqual([192, 0, 2, 1]);
    for (const bad of ['192.0.2', '192.0.2.256', '192.0.2.01', '1.2.3.4.5', '', 'a.b.c.d']) expect(parseAddress(bad)).toBeUndefined();
  });

  it('IPv6 with ::, embedded IPv4, zone and brackets', () => {
    expect([...parseAddress('2001:db8::1')!.bytes]).toEqual([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseAddress('::')!.bytes.every((b) => b === 0)).toBe(true);
    expect([...parseAddress('[fe80::1%eth0]')!.bytes].slice(0, 2)).toEqual([0xfe, 0x80]);
    expect([...parseAddress('64:ff9b::192.0.2.33')!.bytes].slice(12)).toEqual([192, 0, 2, 33]);
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) expect(parseAddress(bad)).toBeUndefined();
  });

  it('IPv4-mapped IPv6 is the IPv4 host, prefix lengths shifted', () => {
    const a = parseAddress('::ffff:192.0.2.7')!;
    expect(a.family).toBe(4);
    expect([...a.bytes]).toEqual([192, 0, 2, 7]);
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 4, bits: 8 });
  });
});

describe('CIDR trie: longest prefix wins (issue 4: IP authentication)', () => {
  it('IPv4 nested blocks', () => {
    const t = createCidrTrie<string>();
    t.insert('0.0.0.0/0', 'any');
    t.insert('10.0.0.0/8', 'ten');
    t.insert('10.1.0.0/16', 'ten-one');
    t.insert('10.1.2.3', 'host');
    expect(t.lookup('10.1.2.3')).toBe('host');
    expect(t.lookup('10.1.2.4')).toBe('ten-one');
    expect(t.lookup('10.2.0.1')).toBe('ten');
    expect(t.lookup('192.0.2.1')).toBe('any');
    expect(t.lookup('2001:db8::1')).toBeUndefined(); // families never mix
    expect(t.lookup('not an address')).toBeUndefined();
  });

  it('IPv6 nested blocks', () => {
    const t = createCidrTrie<string>();
    t.insert('2001:db8::/32', 'doc');
    t.insert('2001:db8:1::/48', 'site');
    t.insert('2001:db8:1::5/128', 'host');
    expect(t.lookup('2001:db8:1::5')).toBe('host');
    expect(t.lookup('2001:db8:1::6')).toBe('site');
    expect(t.lookup('2001:db8:2::1')).toBe('doc');
    expect(t.lookup('2001:db9::1')).toBeUndefined();
  });

  it('a constraint that fails at the longest prefix falls back to a shorter one', () => {
    const t = createCidrTrie<{ id: string; port?: number }>();
    t.insert('10.0.0.0/8', { id: 'wide' });
    t.insert('10.0.0.0/24', { id: 'narrow', port: 5080 });
    expect(t.lookup('10.0.0.1', (v) => v.port === undefined || v.port === 5080)?.id).toBe('narrow');
    expect(t.lookup('10.0.0.1', (v) => v.port === undefined || v.port === 5060)?.id).toBe('wide');
  });

  // Brute force: every block that contains the address, longest wins; ties go to the first inserted.
  function bruteForce(blocks: Array<{ bytes: number[]; bits: number; family: 4 | 6 }>, addr: number[], family: 4 | 6): number | undefined {
    let best: number | undefined;
    let bestBits = -1;
    blocks.forEach((b, i) => {
      if (b.family !== family) return;
      for (let k = 0; k < b.bits; k++) {
        const bit = (x: number[]) => (x[k >> 3]! >> (7 - (k & 7))) & 1;
        if (bit(b.bytes) !== bit(addr)) return;
      }
      if (b.bits > bestBits) {
        best = i;
        bestBits = b.bits;
      }
    });
    return best;
  }
  const v4Text = (b: number[]) => b.join('.');
  const v6Text = (b: number[]) => Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':');

  for (const family of [4, 6] as const) {
    const n = family === 4 ? 4 : 16;
    // Few distinct high bits, so random blocks and addresses actually overlap.
    const byte = fc.constantFrom(0, 1, 128, 255, 10);
    const addr = fc.array(byte, { minLength: n, maxLength: n });
    const block = fc.record({ bytes: addr, bits: fc.integer({ min: 0, max: n * 8 }), family: fc.constant(family) });
    it(`IPv${family}: agrees with a brute-force matcher (fast-check)`, () => {
      fc.assert(
        fc.property(fc.array(block, { maxLength: 20 }), fc.array(addr, { minLength: 1, maxLength: 10 }), (blocks, addrs) => {
          const t = createCidrTrie<number>();
          const text = family === 4 ? v4Text : v6Text;
          blocks.forEach((b, i) => t.insert(`${text(b.bytes)}/${b.bits}`, i));
          for (const a of addrs) {
            // Within one node the first value wins, as in the brute force.
            expect(t.lookup(text(a))).toBe(bruteForce(blocks, a, family));
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});
