// The crypto-suite table. RFC 4568 §6.2 (AES_CM_*), RFC 7714 §12 and §14 (GCM).
import type { Suite, SuiteName } from './types.js';

const table: Record<SuiteName, Suite> = {
  AES_CM_128_HMAC_SHA1_80: {
    name: 'AES_CM_128_HMAC_SHA1_80', aead: false,
    keyLength: 16, saltLength: 14, authKeyLength: 20, rtpTagLength: 10, rtcpTagLength: 10,
  },
  AES_CM_128_HMAC_SHA1_32: {
    name: 'AES_CM_128_HMAC_SHA1_32', aead: false,
    keyLength: 16, saltLength: 14, authKeyLength: 20, rtpTagLength: 4, rtcpTagLength: 10,
  },
  AEAD_AES_128_GCM: {
    name: 'AEAD_AES_128_GCM', aead: true,
    keyLength: 16, saltLength: 12, authKeyLength: 0, rtpTagLength: 16, rtcpTagLength: 16,
  },
  AEAD_AES_256_GCM: {
    name: 'AEAD_AES_256_GCM', aead: true,
    keyLength: 32, saltLength: 12, authKeyLength: 0, rtpTagLength: 16, rtcpTagLength: 16,
  },
};

export const SUITE_NAMES: readonly SuiteName[] = Object.keys(table) as SuiteName[];

/** The suite of that exact (case-sensitive, RFC 4568 §9) name, or undefined. */
export function suiteByName(name: string): Suite | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name as SuiteName] : undefined;
}

export function suite(name: SuiteName): Suite {
  return table[name];
}
