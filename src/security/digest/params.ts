// Reading digest params: the syntax lives in sip/digest.ts (one parser for the
// whole SBC); this file only adds the Digest-specific readings of its values.

import { parseDigestParams, type DigestParams } from '../../sip/digest.js';
import type { Qop } from './types.js';

export type { DigestParams };

/** The params of a `Digest ...` header value, or undefined for another scheme or bad syntax. Never throws. */
export function readDigest(value: string): DigestParams | undefined {
  const d = parseDigestParams(value);
  // Scheme names are case-insensitive (RFC 3261 §25.1 / RFC 7235 §2.1).
  if (d === undefined || d.scheme.toLowerCase() !== 'digest') return undefined;
  return d;
}

/** The qop values a challenge offers (`qop="auth,auth-int"`), unknown ones dropped. */
export function qopOptions(value: string | undefined): Qop[] {
  if (value === undefined) return [];
  const out: Qop[] = [];
  for (const raw of value.split(',')) {
    const q = raw.trim().toLowerCase();
    if ((q === 'auth' || q === 'auth-int') && !out.includes(q)) out.push(q);
  }
  return out;
}

/** nc is exactly 8 hex digits (RFC 7616 §3.4); returns -1 for anything else or for 0. */
export function parseNc(value: string | undefined): number {
  if (value === undefined || value.length !== 8) return -1;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    const c = value.charCodeAt(i);
    const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n === 0 ? -1 : n;
}

/** True for `true` in any case: RFC 7616 §3.3 compares stale/userhash case-insensitively. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.toLowerCase() === 'true';
}
