// RFC 7714 §16 (SRTP) and §17 (SRTCP) AES-GCM test vectors. The RFC gives
// session keys, not master keys, so these build the context from them.
import { describe, expect, it } from 'vitest';
import { createContextFromSessionKeys } from '../../../src/media/srtp/context.js';
import { createGcmRtcp } from '../../../src/media/srtp/gcm.js';
import { suite } from '../../../src/media/srtp/suites.js';
import type { SessionKeys, SuiteName } from '../../../src/media/srtp/types.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const KEY_128 = hex('000102030405060708090a0b0c0d0e0f');
const KEY_256 = hex('000102030405060708090a0b0c0d0e0f 101112131415161718191a1b1c1d1e1f');
const SALT = hex('517569642070726f2071756f');

// "Gallia est omnis divisa in partes tres", SSRC 0x5501a0b2, SEQ 0xf17b
const RTP = hex('8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573');
const SRTP_128 = hex(`8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
  0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce`);
const SRTP_256 = hex(`8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
  9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13`);

// SR from SSRC "Mars", SRTCP index 0x5d4
const RTCP = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
  deadbeef deadbeef deadbeef deadbeef deadbeef`);
const SRTCP_128 = hex(`81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
  c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4`);
const SRTCP_256 = hex(`81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
  a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4`);
const SRTCP_128_AUTH_ONLY = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
  deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4`);
const SRTCP_256_AUTH_ONLY = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
  deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4`);

function keys(key: Buffer): SessionKeys {
  return { encKey: key, salt: SALT, authKey: Buffer.alloc(0) };
}
function ctx(name: SuiteName, key: Buffer) {
  return createContextFromSessionKeys(suite(name), { rtp: keys(key), rtcp: keys(key) });
}

describe('RFC 7714 §16 SRTP AES-GCM vectors', () => {
  const cases = [
    ['16.1', 'AEAD_AES_128_GCM', KEY_128, SRTP_128],
    ['16.2', 'AEAD_AES_256_GCM', KEY_256, SRTP_256],
  ] as const;
  for (const [section, name, key, wire] of cases) {
    it(`§${section}.1: ${name} encryption (IV 51753c6580c2726f20718414, AAD = header)`, () => {
      const r = ctx(name, key).protectRtp(RTP);
      expect(r.ok && r.packet.toString('hex')).toBe(wire.toString('hex'));
    });
    it(`§${section}.2: ${name} decryption and tag verification`, () => {
      const c = ctx(name, key);
      const r = c.unprotectRtp(wire);
      expect(r.ok && r.packet.toString('hex')).toBe(RTP.toString('hex'));
      expect(r.ok && r.payload.toString()).toBe('Gallia est omnis divisa in partes tres');
    });
    it(`§${section}.2: ${name} with one flipped bit in the tag is refused`, () => {
      const bad = Buffer.from(wire);
      bad[bad.length - 1]! ^= 1;
      expect(ctx(name, key).unprotectRtp(bad)).toEqual({ ok: false, reason: 'auth' });
    });
  }
});

describe('RFC 7714 §17 SRTCP AES-GCM vectors', () => {
  it('§17.1: AEAD_AES_128_GCM SRTCP encryption (E=1, index 0x5d4, tag before E|index)', () => {
    const t = createGcmRtcp(keys(KEY_128));
    const out = Buffer.alloc(RTCP.length + t.trailerLength);
    RTCP.copy(out);
    const n = t.protect(out, RTCP.length, 0x4d617273, 0x5d4, true);
    expect(out.subarray(0, n).toString('hex')).toBe(SRTCP_128.toString('hex'));
  });
  it('§17.2: AEAD_AES_256_GCM SRTCP verification and decryption', () => {
    const r = ctx('AEAD_AES_256_GCM', KEY_256).unprotectRtcp(SRTCP_256);
    expect(r.ok && r.packet.toString('hex')).toBe(RTCP.toString('hex'));
  });
  it('§17.1/§17.2: 128-bit decryption and 256-bit encryption round the other way', () => {
    const r = ctx('AEAD_AES_128_GCM', KEY_128).unprotectRtcp(SRTCP_128);
    expect(r.ok && r.packet.toString('hex')).toBe(RTCP.toString('hex'));
    const t = createGcmRtcp(keys(KEY_256));
    const out = Buffer.alloc(RTCP.length + t.trailerLength);
    RTCP.copy(out);
    t.protect(out, RTCP.length, 0x4d617273, 0x5d4, true);
    expect(out.toString('hex')).toBe(SRTCP_256.toString('hex'));
  });
  it('§17.3: AEAD_AES_128_GCM SRTCP authentication only (E=0, AAD = packet || E|index)', () => {
    const t = createGcmRtcp(keys(KEY_128));
    const out = Buffer.alloc(RTCP.length + t.trailerLength);
    RTCP.copy(out);
    t.protect(out, RTCP.length, 0x4d617273, 0x5d4, false);
    expect(out.toString('hex')).toBe(SRTCP_128_AUTH_ONLY.toString('hex'));
    const r = ctx('AEAD_AES_128_GCM', KEY_128).unprotectRtcp(SRTCP_128_AUTH_ONLY);
    expect(r.ok && r.packet.toString('hex')).toBe(RTCP.toString('hex'));
  });
  it('§17.4: AEAD_AES_256_GCM SRTCP authentication only, verification', () => {
    const r = ctx('AEAD_AES_256_GCM', KEY_256).unprotectRtcp(SRTCP_256_AUTH_ONLY);
    expect(r.ok && r.packet.toString('hex')).toBe(RTCP.toString('hex'));
  });
  it('§17.3: flipping the E flag of an authenticated-only packet breaks the tag', () => {
    const bad = Buffer.from(SRTCP_128_AUTH_ONLY);
    bad[bad.length - 4]! ^= 0x80;
    expect(ctx('AEAD_AES_128_GCM', KEY_128).unprotectRtcp(bad)).toEqual({ ok: false, reason: 'auth' });
  });
});
