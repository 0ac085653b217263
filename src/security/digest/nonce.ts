// Stateless nonces (RFC 7616 §3.3 and §5.4 leave the nonce's content to the
// server). A nonce carries its issue time and a random salt, sealed with an
// HMAC over (time, salt, source address, realm). Every instance sharing the
// secret can check any instance's nonces without a store, and a nonce stolen
// from one source address is useless from another.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NonceCheck, NonceManager } from './types.js';

export interface NonceOptions {
  /** At least 32 bytes; the same on every instance of the fleet. */
  secret: Buffer | string;
  /** Secrets still accepted on check during a rotation (never used to issue). */
  previousSecrets?: Array<Buffer | string>;
  /** Lifetime before a nonce goes stale; default 300 s. */
  ttlMs?: number;
  /** Tolerated clock skew between instances for nonces dated in the future; default 30 s. */
  skewMs?: number;
  now?: () => number;
}

const TIME_BYTES = 6; // milliseconds since 1970 fit in 48 bits until the year 10889
const SALT_BYTES = 8; // makes every nonce unique, so nc replay tracking can key on it
const MAC_BYTES = 16; // 128 bits of HMAC-SHA256 is far beyond online guessing
const RAW_BYTES = TIME_BYTES + SALT_BYTES + MAC_BYTES;
const NONCE_CHARS = Math.ceil((RAW_BYTES * 4) / 3); // base64url without padding: 40
const VERSION = 'palisade-nonce-v1';

export function createNonceManager(opts: NonceOptions): NonceManager {
  const secrets = [opts.secret, ...(opts.previousSecrets ?? [])].map(toKey);
  const ttlMs = opts.ttlMs ?? 300_000;
  const skewMs = opts.skewMs ?? 30_000;
  const now = opts.now ?? Date.now;
  if (!(ttlMs > 0)) throw new RangeError('nonce ttlMs must be positive');
  const current = secrets[0] as Buffer;

  function mac(key: Buffer, head: Buffer, source: string, realm: string): Buffer {
    // Length-prefixing is unnecessary: the NUL separators cannot occur in an address, and a
    // realm is the last field; the version string keeps this MAC from meaning anything elsewhere.
    return createHmac('sha256', key).update(head).update(`\0${VERSION}\0${source}\0${realm}`).digest().subarray(0, MAC_BYTES);
  }

  return {
    ttlMs,
    skewMs,
    issue(source, realm) {
      const raw = Buffer.allocUnsafe(RAW_BYTES);
      raw.writeUIntBE(Math.max(0, Math.floor(now())), 0, TIME_BYTES);
      randomBytes(SALT_BYTES).copy(raw, TIME_BYTES);
      const head = raw.subarray(0, TIME_BYTES + SALT_BYTES);
      mac(current, head, source, realm).copy(raw, TIME_BYTES + SALT_BYTES);
      return raw.toString('base64url');
    },
    check(nonce, source, realm): NonceCheck {
      // Shape first: Buffer.from(…, 'base64url') silently skips junk, so it cannot be the gate.
      if (typeof nonce !== 'string' || nonce.length !== NONCE_CHARS || !isBase64Url(nonce)) return 'invalid';
      const raw = Buffer.from(nonce, 'base64url');
      if (raw.length !== RAW_BYTES) return 'invalid';
      const head = raw.subarray(0, TIME_BYTES + SALT_BYTES);
      const given = raw.subarray(TIME_BYTES + SALT_BYTES);
      let valid = false;
      for (const key of secrets) if (timingSafeEqual(mac(key, head, source, realm), given)) valid = true;
      if (!valid) return 'invalid';
      const age = now() - raw.readUIntBE(0, TIME_BYTES);
      // A nonce from the future beyond clock skew was not issued by a healthy instance.
      if (age < -skewMs) return 'invalid';
      return age > ttlMs ? 'stale' : 'ok';
    },
  };
}

function toKey(s: Buffer | string): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  // A short secret is a configuration mistake worth stopping for, not a runtime condition.
  if (b.length < 32) throw new RangeError('nonce secret must be at least 32 bytes');
  return b;
}

function isBase64Url(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f;
    if (!ok) return false;
  }
  return true;
}
