// RFC 3711 Appendix B: B.2 (AES-CM keystream) and B.3 (key derivation).
import { describe, expect, it } from 'vitest';
import { deriveSessionKeys, LABEL, prf } from '../../../src/media/srtp/kdf.js';
import { createCounterKeystream } from '../../../src/media/srtp/keystream.js';
import { suite } from '../../../src/media/srtp/suites.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 B.2 AES-CM test vectors', () => {
  it('B.2: keystream blocks 0..2 and 0xfeff..0xff01 for session key 2B7E…, salt F0F1…', () => {
    const ks = createCounterKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'));
    // SSRC 0, ROC 0, SEQ 0: the IV is the salt shifted left 16 bits
    const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const data = Buffer.alloc(65282 * 16);
    ks.apply(iv, data, 0, data.length);
    const block = (j: number): string => data.subarray(j * 16, j * 16 + 16).toString('hex').toUpperCase();
    expect(block(0)).toBe('E03EAD0935C95E80E166B16DD92B4EB4');
    expect(block(1)).toBe('D23513162B02D0F72A43A2FE4A5F97AB');
    expect(block(2)).toBe('41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(block(0xfeff)).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4');
    expect(block(0xff00)).toBe('362B7C3C6773516318A077D7FC5073AE');
    expect(block(0xff01)).toBe('6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.2: the keystream is XORed, so applying it twice restores the data', () => {
    const ks = createCounterKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'));
    const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const plain = Buffer.from('an odd-length payload of 37 bytes...');
    const data = Buffer.from(plain);
    ks.apply(iv, data, 0, data.length);
    expect(data.equals(plain)).toBe(false);
    ks.apply(iv, data, 0, data.length);
    expect(data.equals(plain)).toBe(true);
  });
});

describe('RFC 3711 B.3 key derivation test vectors', () => {
  const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');

  it('B.3: cipher key, cipher salt and auth key (label 0, 2, 1; kdr 0)', () => {
    expect(prf(masterKey, masterSalt, LABEL.rtpEnc, 16).toString('hex').toUpperCase())
      .toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(prf(masterKey, masterSalt, LABEL.rtpSalt, 14).toString('hex').toUpperCase())
      .toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(prf(masterKey, masterSalt, LABEL.rtpAuth, 94).toString('hex').toUpperCase()).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE' +
      'E049646C43D9327AD175578EF7227098' + '6371C10C9A369AC2F94A8C5FBCDDDC25' +
      '6D6E919A48B610EF17C2041E47403576' + '6B68642C59BBFC2F34DB60DBDFB2',
    );
  });

  it('§4.3: deriveSessionKeys gives the B.3 SRTP keys at the suite lengths', () => {
    const k = deriveSessionKeys(suite('AES_CM_128_HMAC_SHA1_80'), masterKey, masterSalt);
    expect(k.rtp.encKey.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(k.rtp.salt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(k.rtp.authKey.toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
    // SRTCP keys use labels 3..5 and so differ from every SRTP key
    for (const key of [k.rtcp.encKey, k.rtcp.salt, k.rtcp.authKey]) {
      for (const other of [k.rtp.encKey, k.rtp.salt, k.rtp.authKey]) expect(key.equals(other)).toBe(false);
    }
  });

  it('§4.3: a master key or salt of the wrong length is a programmer error', () => {
    expect(() => deriveSessionKeys(suite('AEAD_AES_128_GCM'), masterKey, masterSalt)).toThrow(RangeError);
  });
});
