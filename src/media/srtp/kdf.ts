// Session key derivation, RFC 3711 §4.3 with the AES-CM PRF (§4.3.3), key
// derivation rate 0: each session key is derived once, at context creation.
// RFC 6188 §7 / RFC 7714 §11: the PRF uses AES with the master key's size;
// GCM's 96-bit master salt is padded with zeros to the 112 bits §4.3.1 XORs.
import { createCipheriv } from 'node:crypto';
import type { SessionKeys, Suite } from './types.js';

/** Labels of RFC 3711 §4.3.2 (SRTP) and §4.3.2's SRTCP counterparts. */
export const LABEL = {
  rtpEnc: 0x00, rtpAuth: 0x01, rtpSalt: 0x02,
  rtcpEnc: 0x03, rtcpAuth: 0x04, rtcpSalt: 0x05,
} as const;

/** PRF_n(k_master, x) with x = (label || r) XOR master_salt, r = 0 (kdr 0). */
export function prf(masterKey: Buffer, masterSalt: Buffer, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  masterSalt.copy(iv, 0, 0, Math.min(14, masterSalt.length));
  // key_id = label || r(48 bits) sits in the low 56 bits of the 112-bit salt
  iv[7]! ^= label;
  const algo = masterKey.length === 32 ? 'aes-256-ctr' : 'aes-128-ctr';
  const c = createCipheriv(algo, masterKey, iv);
  return Buffer.concat([c.update(Buffer.alloc(length)), c.final()]);
}

export interface DerivedKeys {
  readonly rtp: SessionKeys;
  readonly rtcp: SessionKeys;
}

/** All six session keys. Programmer errors (wrong lengths) throw. */
export function deriveSessionKeys(suite: Suite, masterKey: Buffer, masterSalt: Buffer): DerivedKeys {
  if (masterKey.length !== suite.keyLength || masterSalt.length !== suite.saltLength) {
    throw new RangeError(`${suite.name} needs a ${suite.keyLength}-byte key and ${suite.saltLength}-byte salt`);
  }
  const d = (label: number, len: number): Buffer =>
    len === 0 ? Buffer.alloc(0) : prf(masterKey, masterSalt, label, len);
  return {
    rtp: {
      encKey: d(LABEL.rtpEnc, suite.keyLength),
      authKey: d(LABEL.rtpAuth, suite.authKeyLength),
      salt: d(LABEL.rtpSalt, suite.saltLength),
    },
    rtcp: {
      encKey: d(LABEL.rtcpEnc, suite.keyLength),
      authKey: d(LABEL.rtcpAuth, suite.authKeyLength),
      salt: d(LABEL.rtcpSalt, suite.saltLength),
    },
  };
}
