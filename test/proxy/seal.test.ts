import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSealer } from '../../src/proxy/seal.js';

const k1 = { id: 1, key: randomBytes(32) };
const k2 = { id: 2, key: randomBytes(32) };

describe('sealed topology-hiding tokens (AES-256-GCM)', () => {
  it('round-trips any payload and is URI-safe', () => {
    const s = createSealer([k1]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const t = s.seal(Buffer.from(bytes));
        expect(t).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(s.open(t)?.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });
  it('does not reveal the payload: two seals of the same value differ', () => {
    const s = createSealer([k1]);
    const a = s.seal('sip:alice@10.0.0.5:5060');
    expect(a).not.toBe(s.seal('sip:alice@10.0.0.5:5060'));
    expect(Buffer.from(a, 'base64url').toString('latin1')).not.toContain('10.0.0.5');
  });
  it('rejects every single-bit alteration', () => {
    const s = createSealer([k1]);
    const raw = Buffer.from(s.seal('sip:bob@192.168.1.20'), 'base64url');
    for (let i = 0; i < raw.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Buffer.from(raw);
        bad[i]! ^= 1 << bit;
        expect(s.open(bad.toString('base64url'))).toBeUndefined();
      }
    }
  });
  it('rejects forgeries, truncations and junk', () => {
    const s = createSealer([k1]);
    const t = s.seal('x');
    expect(s.open(t.slice(0, -2))).toBeUndefined();
    expect(s.open('')).toBeUndefined();
    expect(s.open('AAAA')).toBeUndefined();
    expect(s.open(`${t}!`)).toBeUndefined();
    expect(createSealer([k2]).open(t)).toBeUndefined();
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (junk) => { expect(s.open(junk)).toBeUndefined(); }));
  });
  it('key rotation: a new key seals, the old key still opens until its grace period ends', () => {
    let now = 1_000;
    const old = createSealer([k1]);
    const tOld = old.seal('flow-7');
    const rotated = createSealer([k2, { ...k1, notAfter: 5_000 }], () => now);
    expect(rotated.open(tOld)?.toString()).toBe('flow-7');
    const tNew = rotated.seal('flow-8');
    expect(Buffer.from(tNew, 'base64url')[1]).toBe(2);
    now = 5_001;
    expect(rotated.open(tOld)).toBeUndefined();
    expect(rotated.open(tNew)?.toString()).toBe('flow-8');
  });
  it('refuses bad keys at construction', () => {
    expect(() => createSealer([])).toThrow();
    expect(() => createSealer([{ id: 1, key: randomBytes(16) }])).toThrow();
    expect(() => createSealer([{ id: 300, key: randomBytes(32) }])).toThrow();
  });
});
