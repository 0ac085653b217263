import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTrunkTable, normalizeNumber, selectTrunk, type Trunk } from '../../../src/proxy/route/trunks.js';

const trunk = (id: string, prefixes?: string[]): Trunk => ({
  id,
  target: { host: `${id}.carrier.example`, transport: 'udp', secure: false },
  ...(prefixes ? { prefixes } : {}),
});

const trunks: readonly Trunk[] = [
  trunk('us', ['+1']),
  trunk('us-ny', ['+1212', '+1646']),
  trunk('uk', ['0044', '+44']),
  trunk('uk-dup', ['+44']), // declared later: loses the tie
  trunk('manual'), // no prefixes: only reachable by header
];

describe('trunk selection', () => {
  it('lets the header win when it names a known trunk', () => {
    expect(selectTrunk({ headerValue: 'manual', ruriUser: '+12125550100' }, trunks)?.id).toBe('manual');
    expect(selectTrunk({ headerValue: '  uk ' }, trunks)?.id).toBe('uk');
  });

  it('refuses an unknown header name instead of falling back to prefixes', () => {
    const table = createTrunkTable(trunks);
    expect(selectTrunk({ headerValue: 'nope', ruriUser: '+12125550100' }, trunks)).toBeUndefined();
    expect(table.route({ headerValue: 'US', ruriUser: '+12125550100' })).toEqual({ trunk: undefined, reason: 'unknown-trunk' });
    // an empty header is no header
    expect(table.route({ headerValue: ' ', ruriUser: '+12125550100' })).toMatchObject({ by: 'prefix', trunk: { id: 'us-ny' } });
  });

  it('picks the longest matching prefix', () => {
    expect(selectTrunk({ ruriUser: '+12125550100' }, trunks)?.id).toBe('us-ny');
    expect(selectTrunk({ ruriUser: '+14155550100' }, trunks)?.id).toBe('us');
    expect(selectTrunk({ ruriUser: '+1' }, trunks)?.id).toBe('us');
    expect(selectTrunk({ ruriUser: '+121' }, trunks)?.id).toBe('us');
    expect(selectTrunk({ ruriUser: '00442071234567' }, trunks)?.id).toBe('uk');
  });

  it('treats a leading "+" as optional on both sides, and ignores URI params and visual separators', () => {
    expect(selectTrunk({ ruriUser: '12125550100' }, trunks)?.id).toBe('us-ny');
    expect(selectTrunk({ ruriUser: '+44 20 7123 4567' }, trunks)?.id).toBe('uk');
    expect(selectTrunk({ ruriUser: '+1-(646)-555-0100;npdi;rn=+16465550000' }, trunks)?.id).toBe('us-ny');
    const plain = [trunk('a', ['33'])];
    expect(selectTrunk({ ruriUser: '+33142000000' }, plain)?.id).toBe('a');
    expect(normalizeNumber('+1 (415) 555-0100;npdi')).toBe('14155550100');
  });

  it('breaks ties by declaration order', () => {
    expect(selectTrunk({ ruriUser: '+447700900000' }, trunks)?.id).toBe('uk');
    const flipped = [trunk('second', ['49']), trunk('first', ['+49'])];
    expect(selectTrunk({ ruriUser: '+4930123456' }, flipped)?.id).toBe('second');
  });

  it('answers no-route when nothing matches, unless a default trunk ("" prefix) exists', () => {
    const table = createTrunkTable(trunks);
    expect(table.route({ ruriUser: '+33142000000' })).toEqual({ trunk: undefined, reason: 'no-route' });
    expect(table.route({})).toEqual({ trunk: undefined, reason: 'no-route' });
    expect(selectTrunk({ ruriUser: 'alice' }, trunks)).toBeUndefined();
    const withDefault = [...trunks, trunk('default', [''])];
    expect(selectTrunk({ ruriUser: '+33142000000' }, withDefault)?.id).toBe('default');
    expect(selectTrunk({ ruriUser: '+12125550100' }, withDefault)?.id).toBe('us-ny');
  });

  it('refuses duplicate trunk ids and accepts a prebuilt table', () => {
    expect(() => createTrunkTable([trunk('a'), trunk('a')])).toThrow(/duplicate/);
    const table = createTrunkTable(trunks);
    expect(selectTrunk({ ruriUser: '+16465550100' }, table)?.id).toBe('us-ny');
    expect(table.byId('uk-dup')?.id).toBe('uk-dup');
  });

  it('agrees with a brute-force longest-prefix search', () => {
    const digits = fc.string({ unit: fc.constantFrom('0', '1', '2', '3'), minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(fc.array(digits, { maxLength: 4 }), { minLength: 1, maxLength: 6 }), digits, (prefixSets, number) => {
        const list = prefixSets.map((p, i) => trunk(`t${i}`, p));
        let best: { id: string; len: number } | undefined;
        for (const t of list) {
          for (const p of t.prefixes ?? []) {
            if (number.startsWith(p) && (!best || p.length > best.len)) best = { id: t.id, len: p.length };
          }
        }
        expect(createTrunkTable(list).select({ ruriUser: `+${number}` })?.id).toBe(best?.id);
      }),
    );
  });
});
