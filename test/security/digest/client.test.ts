import { describe, expect, it } from 'vitest';
import { answerChallenge, ha1, readDigest } from '../../../src/security/digest/index.js';

const RFC7616_NONCE = '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v';
const RFC7616_OPAQUE = 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS';
const RFC7616_CNONCE = 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
const challenge = (alg: string) =>
  `Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=${alg}, nonce="${RFC7616_NONCE}", opaque="${RFC7616_OPAQUE}"`;
const req = { method: 'GET', uri: '/dir/index.html' };
const mufasa = { username: 'Mufasa', password: 'Circle of Life' };
const fixed = { cnonce: () => RFC7616_CNONCE };

function params(header: string): Map<string, string> {
  const d = readDigest(header);
  if (d === undefined) throw new Error(`unparseable: ${header}`);
  return d.params;
}

describe('answerChallenge', () => {
  it('RFC 7616 §3.9.1: answers both example challenges with SHA-256 and the printed response', () => {
    const r = answerChallenge([challenge('MD5'), challenge('SHA-256')], req, mufasa, fixed);
    if ('error' in r) throw new Error(r.error);
    expect(r.algorithm).toBe('SHA-256');
    expect(r.header).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ' +
        'uri="/dir/index.html", response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1", ' +
        'algorithm=SHA-256, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ' +
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", qop=auth, nc=00000001',
    );
  });

  it('RFC 7616 §3.9.1: MD5 when only MD5 is allowed, with the printed response', () => {
    const r = answerChallenge([challenge('SHA-256'), challenge('MD5')], req, mufasa, { ...fixed, allowed: ['MD5'] });
    if ('error' in r) throw new Error(r.error);
    expect(r.algorithm).toBe('MD5');
    expect(params(r.header).get('response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 8760 §2.4: picks the strongest allowed algorithm whatever the order offered', () => {
    const all = [challenge('MD5'), challenge('SHA-512-256'), challenge('SHA-256')];
    const pick = (allowed?: Parameters<typeof answerChallenge>[3]) => {
      const r = answerChallenge(all, req, mufasa, allowed);
      return 'error' in r ? r.error : r.algorithm;
    };
    expect(pick()).toBe('SHA-512-256');
    expect(pick({ allowed: ['MD5', 'SHA-256'] })).toBe('SHA-256');
    expect(pick({ allowed: ['MD5'] })).toBe('MD5');
  });

  it('RFC 7616 §3.4: quoting — algorithm, qop and nc bare; the rest quoted and escaped', () => {
    const r = answerChallenge(['Digest realm="a\\"b", nonce="n", qop="auth"'], { method: 'INVITE', uri: 'sip:bob@example.com' }, { username: 'x\\y', password: 'p' }, { cnonce: () => 'c' });
    if ('error' in r) throw new Error(r.error);
    expect(r.header).toContain('username="x\\\\y"');
    expect(r.header).toContain('realm="a\\"b"');
    expect(r.header).toContain('uri="sip:bob@example.com"');
    expect(r.header).toMatch(/qop=auth, nc=00000001$/);
    // The server named no algorithm: say none back (RFC 2069-era servers).
    expect(r.header).not.toContain('algorithm=');
    expect(params(r.header).get('realm')).toBe('a"b');
  });

  it('RFC 7616 §3.4: prefers qop=auth over auth-int, uses auth-int when it is all that is offered', () => {
    const a = answerChallenge(['Digest realm="r", nonce="n", qop="auth-int,auth"'], req, mufasa);
    const b = answerChallenge(['Digest realm="r", nonce="n", qop="auth-int"'], { ...req, body: Buffer.from('x') }, mufasa);
    expect('error' in a ? a.error : a.qop).toBe('auth');
    expect('error' in b ? b.error : b.qop).toBe('auth-int');
  });

  it('RFC 2617 §3.2.2 / RFC 2069: without qop the header has no cnonce, nc or qop', () => {
    const r = answerChallenge(['Digest realm="r", nonce="n"'], req, mufasa);
    if ('error' in r) throw new Error(r.error);
    const p = params(r.header);
    expect(p.has('cnonce')).toBe(false);
    expect(p.has('nc')).toBe(false);
    expect(p.has('qop')).toBe(false);
  });

  it('RFC 3261 §22.2: honours the trunk realm restriction', () => {
    const cs = ['Digest realm="evil.example", nonce="1", qop="auth", algorithm=SHA-256', 'Digest realm="carrier.example", nonce="2", qop="auth"'];
    const r = answerChallenge(cs, req, { ...mufasa, realm: 'carrier.example' });
    if ('error' in r) throw new Error(r.error);
    expect(r.realm).toBe('carrier.example');
    expect(r.algorithm).toBe('MD5');
    const none = answerChallenge([cs[0] as string], req, { ...mufasa, realm: 'carrier.example' });
    expect(none).toHaveProperty('error');
  });

  it('RFC 7616 §3.3 opaque: echoed unchanged; absent when not sent', () => {
    const r = answerChallenge(['Digest realm="r", nonce="n", opaque="o p\\"q", qop="auth"'], req, mufasa);
    if ('error' in r) throw new Error(r.error);
    expect(params(r.header).get('opaque')).toBe('o p"q');
    const s = answerChallenge(['Digest realm="r", nonce="n", qop="auth"'], req, mufasa);
    if ('error' in s) throw new Error(s.error);
    expect(params(s.header).has('opaque')).toBe(false);
  });

  it('RFC 2617 §3.2.1: an unsupported algorithm is an error value, not a throw; others still answered', () => {
    const only = answerChallenge(['Digest realm="r", nonce="n", algorithm=SHA-1, qop="auth"'], req, mufasa);
    expect(only).toEqual({ error: expect.stringContaining('unsupported algorithm SHA-1') });
    const mixed = answerChallenge(['Digest realm="r", nonce="n", algorithm=AKAv1-MD5, qop="auth"', 'Digest realm="r", nonce="n", algorithm=MD5, qop="auth"'], req, mufasa);
    expect('error' in mixed ? mixed.error : mixed.algorithm).toBe('MD5');
  });

  it('odd input gives error values: Basic only, garbage, empty, no credentials', () => {
    expect(answerChallenge([], req, mufasa)).toEqual({ error: 'no Digest challenge' });
    expect(answerChallenge(['Basic realm="r"'], req, mufasa)).toEqual({ error: 'no Digest challenge' });
    expect(answerChallenge(['Digest realm="r", nonce="unterminated'], req, mufasa)).toHaveProperty('error');
    expect(answerChallenge(['Digest realm="r"'], req, mufasa)).toHaveProperty('error');
    expect(answerChallenge(['Digest realm="r", nonce="n", qop="auth-conf"'], req, mufasa)).toHaveProperty('error');
    expect(answerChallenge(['Digest realm="r", nonce="n"'], req, { username: 'u' })).toHaveProperty('error');
  });

  it('RFC 3261 §22.4: a precomputed HA1 answers only its own hash family', () => {
    const h = ha1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    const r = answerChallenge([challenge('SHA-256'), challenge('MD5')], req, { username: 'Mufasa', ha1: h }, fixed);
    if ('error' in r) throw new Error(r.error);
    expect(r.algorithm).toBe('MD5');
    expect(params(r.header).get('response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
    const s = ha1('SHA-512-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life');
    const t = answerChallenge([challenge('SHA-256'), challenge('SHA-512-256')], req, { username: 'Mufasa', ha1: s, ha1Algorithm: 'SHA-512-256' }, fixed);
    expect('error' in t ? t.error : t.algorithm).toBe('SHA-512-256');
  });

  it('RFC 7616 §3.4.4: userhash=true sends H(username:realm) and userhash=true', () => {
    const r = answerChallenge([challenge('SHA-256') + ', userhash=true'], req, mufasa, fixed);
    if ('error' in r) throw new Error(r.error);
    const p = params(r.header);
    expect(p.get('userhash')).toBe('true');
    expect(p.get('username')).toMatch(/^[0-9a-f]{64}$/);
    // The response itself does not change (RFC 7616 §3.4.4).
    expect(p.get('response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('RFC 7616 §3.4 nc: formats a given nonce-count as 8 hex digits', () => {
    const r = answerChallenge(['Digest realm="r", nonce="n", qop="auth"'], req, mufasa, { nc: 255 });
    if ('error' in r) throw new Error(r.error);
    expect(params(r.header).get('nc')).toBe('000000ff');
  });
});
