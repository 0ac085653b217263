// Sealed tokens: what Palisade must recover later from a message that comes back to
// it (an original Contact, a Call-ID, a flow) can travel inside a token it issued,
// encrypted and authenticated with AES-256-GCM. A forged or altered token fails to
// open; keys rotate, and a retired key still opens tokens until its grace ends.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SealKey {
  /** 0..255, carried in the token so the right key is tried first */
  readonly id: number;
  /** 32 bytes */
  readonly key: Buffer;
  /** epoch ms after which tokens sealed under this key no longer open; absent = no end */
  readonly notAfter?: number;
}

export interface Sealer {
  seal(plain: Buffer | string): string;
  open(token: string): Buffer | undefined;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 2 + IV_BYTES; // version, key id, iv

/**
 * keys[0] seals; every key opens until its notAfter. The token is base64url, so it
 * fits in a SIP URI user part or parameter without escaping.
 */
export function createSealer(keys: readonly SealKey[], now: () => number = Date.now, aad = 'palisade'): Sealer {
  if (keys.length === 0) throw new Error('createSealer needs at least one key');
  for (const k of keys) {
    if (k.key.length !== 32) throw new Error(`seal key ${k.id} must be 32 bytes`);
    if (!Number.isInteger(k.id) || k.id < 0 || k.id > 255) throw new Error(`seal key id ${k.id} out of range`);
  }
  const byId = new Map(keys.map((k) => [k.id, k]));
  const current = keys[0]!;
  const aadBuf = Buffer.from(aad);

  return {
    seal(plain) {
      const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(aadBuf);
      const head = Buffer.from([VERSION, current.id]);
      const out = Buffer.concat([head, iv, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
      return out.toString('base64url');
    },
    open(token) {
      if (token.length > 8192) return undefined;
      const raw = Buffer.from(token, 'base64url');
      if (raw.length < HEADER_BYTES + TAG_BYTES || raw[0] !== VERSION) return undefined;
      // base64url decoding ignores junk characters; insist on the canonical form
      if (raw.toString('base64url') !== token) return undefined;
      const k = byId.get(raw[1]!);
      if (!k || (k.notAfter !== undefined && now() > k.notAfter)) return undefined;
      const iv = raw.subarray(2, HEADER_BYTES);
      const tag = raw.subarray(raw.length - TAG_BYTES);
      const body = raw.subarray(HEADER_BYTES, raw.length - TAG_BYTES);
      try {
        const d = createDecipheriv('aes-256-gcm', k.key, iv);
        d.setAAD(aadBuf);
        d.setAuthTag(tag);
        return Buffer.concat([d.update(body), d.final()]);
      } catch {
        return undefined;
      }
    },
  };
}
