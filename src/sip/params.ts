// Generic `*( SEMI generic-param )` (RFC 3261 §25.1) as used by Via and by
// name-addr header params, where LWS may surround ';' and '='.

import { TOKEN, endOfQuoted, isLws, isToken, skipLws } from './chars.js';

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

/**
 * Offsets of the params found by the last walkParams call, four per param:
 * nameStart, nameEnd, valueStart, valueEnd (valueStart = -1 when no '=').
 * Shared scratch space: the hot path validates params without allocating,
 * and builds a Map only when someone asks for one.
 */
export const PARAM_SPANS: number[] = [];
/** Number of used entries in PARAM_SPANS (resetting .length would cost more than the walk). */
let spanLen = 0;

/** Validates `*( SEMI generic-param )` from i; returns where the params end, or -1 when malformed. */
export function walkParams(s: string, i: number, end: number = s.length): number {
  spanLen = 0;
  for (;;) {
    const j = skipLws(s, i, end);
    if (j >= end || s.charCodeAt(j) !== 0x3b) return j;
    i = skipLws(s, j + 1, end);
    const nameStart = i;
    while (i < end && isToken(s.charCodeAt(i))) i++;
    if (i === nameStart) return -1;
    const nameEnd = i;
    i = skipLws(s, i, end);
    let vs = -1;
    let ve = -1;
    if (i < end && s.charCodeAt(i) === 0x3d) {
      i = skipLws(s, i + 1, end);
      vs = i;
      if (i < end && s.charCodeAt(i) === 0x22) {
        const q = endOfQuoted(s, i, end);
        if (q < 0) return -1;
        i = q;
      } else {
        while (i < end && isParamValueChar(s.charCodeAt(i))) i++;
        if (i === vs) return -1;
      }
      ve = i;
    }
    const sp = PARAM_SPANS;
    sp[spanLen] = nameStart;
    sp[spanLen + 1] = nameEnd;
    sp[spanLen + 2] = vs;
    sp[spanLen + 3] = ve;
    spanLen += 4;
  }
}

/**
 * Index in PARAM_SPANS of the first param named `lower` (lowercase) from the
 * last walkParams over s, or -1. Lets callers keep offsets instead of slicing.
 */
export function spanIndex(s: string, lower: string): number {
  const sp = PARAM_SPANS;
  const ln = lower.length;
  for (let k = 0; k < spanLen; k += 4) {
    const a = sp[k]!;
    if (sp[k + 1]! - a !== ln) continue;
    let x = 0;
    for (; x < ln; x++) {
      let c = s.charCodeAt(a + x);
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== lower.charCodeAt(x)) break;
    }
    if (x === ln) return k;
  }
  return -1;
}

/** Value of param `lower` (lowercase) from the last walkParams over s: undefined absent, null without value. */
export function spanParam(s: string, lower: string): string | null | undefined {
  const k = spanIndex(s, lower);
  if (k < 0) return undefined;
  const sp = PARAM_SPANS;
  return sp[k + 2]! < 0 ? null : s.slice(sp[k + 2]!, sp[k + 3]!);
}

/** A Map of params built on demand from text that walkParams already accepted. */
export function paramsOf(text: string): Params {
  return scanParams(text, 0)?.params ?? new Map();
}

// ---- Byte twins ---------------------------------------------------------------
// The same scanners over the bytes of a message head (b) for ranges the parse
// found to be unfolded ASCII, where byte i is char i of the latin1 head string:
// reading a Uint8Array in a loop is about twice as fast as String#charCodeAt.
// Each must accept exactly what its string twin accepts on such a range.

/** token, plus ':' '[' ']' (host values, IPv6 references included). */
const PARAM_VALUE = new Uint8Array(256);
for (let c = 0; c < 256; c++) PARAM_VALUE[c] = TOKEN[c] === 1 || c === 0x3a || c === 0x5b || c === 0x5d ? 1 : 0;

export function skipLwsB(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) break;
    i++;
  }
  return i;
}

export function atEndB(b: Uint8Array, i: number, end: number): boolean {
  return skipLwsB(b, i, end) >= end;
}

export function endOfQuotedB(b: Uint8Array, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j]!;
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** walkParams over b[i, end). */
export function walkParamsB(b: Uint8Array, i: number, end: number): number {
  spanLen = 0;
  const sp = PARAM_SPANS;
  for (;;) {
    let j = i;
    if (j < end && b[j]! !== 0x3b) j = skipLwsB(b, j, end);
    if (j >= end || b[j]! !== 0x3b) return j;
    i = j + 1;
    if (i < end && TOKEN[b[i]!] !== 1) i = skipLwsB(b, i, end);
    const nameStart = i;
    while (i < end && TOKEN[b[i]!] === 1) i++;
    if (i === nameStart) return -1;
    const nameEnd = i;
    if (i < end && b[i]! !== 0x3d && b[i]! !== 0x3b) i = skipLwsB(b, i, end);
    let vs = -1;
    let ve = -1;
    if (i < end && b[i]! === 0x3d) {
      i++;
      if (i < end && PARAM_VALUE[b[i]!] !== 1) i = skipLwsB(b, i, end);
      vs = i;
      if (i < end && b[i]! === 0x22) {
        const q = endOfQuotedB(b, i, end);
        if (q < 0) return -1;
        i = q;
      } else {
        while (i < end && PARAM_VALUE[b[i]!] === 1) i++;
        if (i === vs) return -1;
      }
      ve = i;
    }
    sp[spanLen] = nameStart;
    sp[spanLen + 1] = nameEnd;
    sp[spanLen + 2] = vs;
    sp[spanLen + 3] = ve;
    spanLen += 4;
  }
}

/** spanIndex after walkParamsB; `lower` holds only lowercase letters, so c | 0x20 is exact for token bytes. */
export function spanIndexB(b: Uint8Array, lower: string): number {
  const sp = PARAM_SPANS;
  const ln = lower.length;
  for (let k = 0; k < spanLen; k += 4) {
    const a = sp[k]!;
    if (sp[k + 1]! - a !== ln) continue;
    let x = 0;
    while (x < ln && (b[a + x]! | 0x20) === lower.charCodeAt(x)) x++;
    if (x === ln) return k;
  }
  return -1;
}
