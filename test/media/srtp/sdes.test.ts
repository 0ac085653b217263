// RFC 4568 a=crypto parsing and generation; every refusal is a value with a
// reason the SDP layer turns into 488.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contextFromCrypto, formatCrypto, generateCrypto, parseCrypto, parseLifetime, SUITE_NAMES } from '../../../src/media/srtp/index.js';

const KEY30 = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'; // RFC 4568 §4's example key (30 bytes)

describe('RFC 4568 §9.1 a=crypto parse', () => {
  it('§4: parses the RFC example with lifetime 2^20 and MKI 1:4 when MKI is allowed', () => {
    const r = parseCrypto(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4 FEC_ORDER=FEC_SRTP`, { allowMki: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.crypto.tag).toBe(1);
    expect(r.crypto.suite.name).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(r.crypto.keys[0]!.key.length).toBe(16);
    expect(r.crypto.keys[0]!.salt.length).toBe(14);
    expect(r.crypto.keys[0]!.lifetime).toBe(2 ** 20);
    expect(r.crypto.keys[0]!.mki).toEqual({ value: 1, length: 4 });
  });

  it('§6.1: MKI is refused unless allowed (488)', () => {
    expect(parseCrypto(`crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4`))
      .toMatchObject({ ok: false, reason: 'mki_not_allowed' });
  });

  it('§6.1: a plain key, without lifetime or MKI, in all three input forms', () => {
    for (const form of [`a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, `crypto:7 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`, `7 AES_CM_128_HMAC_SHA1_32 inline:${KEY30}`]) {
      const r = parseCrypto(form);
      expect(r.ok && r.crypto.tag === 7 && r.crypto.keys[0]!.lifetime === undefined).toBe(true);
    }
  });

  it('§6.1: lifetime as decimal or 2^n; out of range refused', () => {
    expect(parseLifetime('2^31')).toBe(2 ** 31);
    expect(parseLifetime('1048576')).toBe(1048576);
    expect(parseLifetime('2^48')).toBe(2 ** 48);
    expect(parseLifetime('2^49')).toBeUndefined();
    expect(parseLifetime('0')).toBeUndefined();
    expect(parseLifetime('2^')).toBeUndefined();
    expect(parseLifetime('x')).toBeUndefined();
    expect(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^99`)).toMatchObject({ ok: false, reason: 'bad_lifetime' });
    const r = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1000`);
    expect(r.ok && r.crypto.keys[0]!.lifetime).toBe(1000);
  });

  it('refusals: unknown suite, bad base64, wrong key length, bad tag, other key method', () => {
    const cases: [string, string][] = [
      [`1 F8_128_HMAC_SHA1_80 inline:${KEY30}`, 'unknown_suite'],
      [`1 aes_cm_128_hmac_sha1_80 inline:${KEY30}`, 'unknown_suite'],
      ['1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!', 'bad_base64'],
      ['1 AES_CM_128_HMAC_SHA1_80 inline:QUJD=Q==', 'bad_base64'],
      ['1 AES_CM_128_HMAC_SHA1_80 inline:QUJDRA==', 'bad_key_length'],
      [`1 AEAD_AES_128_GCM inline:${KEY30}`, 'bad_key_length'],
      [`1 AEAD_AES_256_GCM inline:${KEY30}`, 'bad_key_length'],
      [`x AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`, 'bad_tag'],
      [`1234567890 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}`, 'bad_tag'],
      [`1 AES_CM_128_HMAC_SHA1_80 uri:${KEY30}`, 'bad_key_method'],
      ['1 AES_CM_128_HMAC_SHA1_80', 'syntax'],
      ['', 'syntax'],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|2^20`, 'syntax'],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1:0`, 'bad_mki'],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1:129`, 'bad_mki'],
      [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|256:1`, 'bad_mki'],
    ];
    for (const [line, reason] of cases) expect(parseCrypto(line, { allowMki: true }), line).toMatchObject({ ok: false, reason });
  });

  it('§6.3: session parameters KDR, UNENCRYPTED_*, UNAUTHENTICATED_SRTP, FEC_KEY refused; WSH and "-" accepted', () => {
    for (const p of ['KDR=1', 'KDR=0', 'UNENCRYPTED_SRTP', 'UNENCRYPTED_SRTCP', 'UNAUTHENTICATED_SRTP',
      'FEC_ORDER=SRTP_FEC', `FEC_KEY=inline:${KEY30}`, 'WSH=32', 'FOO=1']) {
      expect(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} ${p}`), p)
        .toMatchObject({ ok: false, reason: 'unsupported_session_param' });
    }
    const r = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30} WSH=128 -X-VENDOR=1`);
    expect(r.ok && r.crypto.sessionParams).toEqual(['WSH=128', '-X-VENDOR=1']);
  });

  it('§6.1: several key-params need an MKI each', () => {
    expect(parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30};inline:${KEY30}`))
      .toMatchObject({ ok: false, reason: 'multiple_keys_without_mki' });
    const r = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|1:1;inline:${KEY30}|2^20|2:1`, { allowMki: true });
    expect(r.ok && r.crypto.keys.map((k) => k.mki?.value)).toEqual([1, 2]);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(typeof parseCrypto(s).ok).toBe('boolean');
      expect(typeof parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${s}`, { allowMki: true }).ok).toBe('boolean');
    }), { numRuns: 500 });
  });
});

describe('RFC 4568 §6 a=crypto generate', () => {
  for (const name of SUITE_NAMES) {
    it(`generates a fresh ${name} key that parses back to the same key and drives a context`, () => {
      const a = generateCrypto(1, name);
      const b = generateCrypto(1, name);
      expect(a.line).toMatch(new RegExp(`^a=crypto:1 ${name} inline:[A-Za-z0-9+/=]+$`));
      expect(a.line).not.toBe(b.line);
      const r = parseCrypto(a.line);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(Buffer.concat([r.crypto.keys[0]!.key, r.crypto.keys[0]!.salt]))
        .toEqual(Buffer.concat([a.crypto.keys[0]!.key, a.crypto.keys[0]!.salt]));
      expect(formatCrypto(r.crypto)).toBe(a.line);
      const tx = contextFromCrypto(a.crypto);
      const rx = contextFromCrypto(r.crypto);
      const p = Buffer.concat([Buffer.from('80000001000000a0cafebabe', 'hex'), Buffer.alloc(160, 1)]);
      const w = tx.protectRtp(p);
      const back = w.ok ? rx.unprotectRtp(Buffer.from(w.packet)) : w;
      expect(back.ok && back.packet.equals(p)).toBe(true);
    });
  }

  it('formats lifetime and MKI back in the RFC form', () => {
    const r = parseCrypto(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4 WSH=128`, { allowMki: true });
    expect(r.ok && formatCrypto(r.crypto)).toBe(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${KEY30}|2^20|1:4 WSH=128`);
  });
});
