import { describe, expect, it } from 'vitest';
import { createNonceManager } from '../../../src/security/digest/index.js';

const SECRET = Buffer.alloc(32, 7);

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('stateless nonces', () => {
  it('RFC 7616 §3.3: a fresh nonce checks ok for the same source and realm', () => {
    const c = clock();
    const m = createNonceManager({ secret: SECRET, now: c.now });
    const n = m.issue('192.0.2.10', 'sbc.example');
    expect(n).toMatch(/^[A-Za-z0-9_-]{40}$/); // token characters: safe quoted or not
    expect(m.check(n, '192.0.2.10', 'sbc.example')).toBe('ok');
  });

  it('RFC 7616 §3.3: every nonce is unique, even within one millisecond', () => {
    const m = createNonceManager({ secret: SECRET, now: () => 1 });
    const seen = new Set(Array.from({ length: 1000 }, () => m.issue('a', 'r')));
    expect(seen.size).toBe(1000);
  });

  it('RFC 7616 §3.3 stale: valid MAC past the TTL is stale, not invalid', () => {
    const c = clock();
    const m = createNonceManager({ secret: SECRET, ttlMs: 300_000, now: c.now });
    const n = m.issue('a', 'r');
    c.advance(300_000);
    expect(m.check(n, 'a', 'r')).toBe('ok');
    c.advance(1);
    expect(m.check(n, 'a', 'r')).toBe('stale');
    c.advance(86_400_000);
    expect(m.check(n, 'a', 'r')).toBe('stale');
  });

  it('RFC 7616 §5.4: a nonce is bound to the source address and realm', () => {
    const m = createNonceManager({ secret: SECRET });
    const n = m.issue('192.0.2.10', 'r');
    expect(m.check(n, '192.0.2.11', 'r')).toBe('invalid');
    expect(m.check(n, '192.0.2.10', 'other')).toBe('invalid');
  });

  it('RFC 7616 §5.4: tampered, truncated, foreign or future nonces are invalid', () => {
    const c = clock();
    const m = createNonceManager({ secret: SECRET, now: c.now, skewMs: 30_000 });
    const n = m.issue('a', 'r');
    const flip = (n[10] === 'A' ? 'B' : 'A');
    expect(m.check(n.slice(0, 10) + flip + n.slice(11), 'a', 'r')).toBe('invalid');
    expect(m.check(n.slice(0, 39), 'a', 'r')).toBe('invalid');
    expect(m.check(n + 'A', 'a', 'r')).toBe('invalid');
    expect(m.check(n.slice(0, 39) + '=', 'a', 'r')).toBe('invalid');
    expect(m.check('', 'a', 'r')).toBe('invalid');
    const other = createNonceManager({ secret: Buffer.alloc(32, 8), now: c.now });
    expect(m.check(other.issue('a', 'r'), 'a', 'r')).toBe('invalid');
    // Issued by an instance whose clock runs far ahead.
    const ahead = createNonceManager({ secret: SECRET, now: () => c.now() + 60_000 });
    expect(m.check(ahead.issue('a', 'r'), 'a', 'r')).toBe('invalid');
    const slightlyAhead = createNonceManager({ secret: SECRET, now: () => c.now() + 10_000 });
    expect(m.check(slightlyAhead.issue('a', 'r'), 'a', 'r')).toBe('ok');
  });

  it('shared secret: any instance checks another instance\'s nonce; rotation keeps old ones valid', () => {
    const old = Buffer.alloc(32, 1);
    const a = createNonceManager({ secret: old });
    const b = createNonceManager({ secret: old });
    const n = a.issue('a', 'r');
    expect(b.check(n, 'a', 'r')).toBe('ok');
    const rotated = createNonceManager({ secret: Buffer.alloc(32, 2), previousSecrets: [old] });
    expect(rotated.check(n, 'a', 'r')).toBe('ok');
    expect(a.check(rotated.issue('a', 'r'), 'a', 'r')).toBe('invalid');
  });

  it('refuses a secret shorter than 32 bytes (configuration mistake)', () => {
    expect(() => createNonceManager({ secret: Buffer.alloc(31) })).toThrow(RangeError);
    expect(() => createNonceManager({ secret: 'x'.repeat(32) })).not.toThrow();
  });
});
