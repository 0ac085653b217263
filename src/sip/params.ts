// Generic `*( SEMI generic-param )` (RFC 3261 §25.1) as used by Via and by
// name-addr header params, where LWS may surround ';' and '='.

import { endOfQuoted, isLws, isToken, skipLws } from './chars.js';

/** Param names are case-insensitive, so keys are lowercase; null marks a param given without '='. */
export type Params = Map<string, string | null>;

export interface ParamsScan {
  params: Params;
  /** Index where scanning stopped (end of string, or a char that cannot start/continue a param). */
  end: number;
}

/**
 * Reads params starting at s[i] (which should be ';' or LWS then ';').
 * Values are kept as written (quoted strings keep their quotes) so a value
 * can be written back unchanged. Returns undefined on malformed input.
 */
export function scanParams(s: string, i: number, end: number = s.length): ParamsScan | undefined {
  const params: Params = new Map();
  for (;;) {
    const j = skipLws(s, i, end);
    if (j >= end || s.charCodeAt(j) !== 0x3b) return { params, end: j };
    i = skipLws(s, j + 1, end);
    const nameStart = i;
    while (i < end && isToken(s.charCodeAt(i))) i++;
    if (i === nameStart) return undefined; // ';;' or ';=' : an empty param
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipLws(s, i, end);
    let value: string | null = null;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      i = skipLws(s, i + 1, end);
      if (i < end && s.charCodeAt(i) === 0x22) {
        const q = endOfQuoted(s, i, end);
        if (q < 0) return undefined;
        value = s.slice(i, q);
        i = q;
      } else {
        const vStart = i;
        while (i < end && isParamValueChar(s.charCodeAt(i))) i++;
        if (i === vStart) return undefined;
        value = s.slice(vStart, i);
      }
    }
    params.set(name, value);
  }
}

// token / host (IPv6 reference included) — the union, so '[', ']' and ':' are allowed.
function isParamValueChar(c: number): boolean {
  return isToken(c) || c === 0x3a || c === 0x5b || c === 0x5d;
}

/** Writes params back as `;name=value` in map order. */
export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

/** True when the rest of s from i is only LWS. */
export function atEnd(s: string, i: number, end: number = s.length): boolean {
  while (i < end) {
    if (!isLws(s.charCodeAt(i))) return false;
    i++;
  }
  return true;
}
