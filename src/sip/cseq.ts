// CSeq (RFC 3261 §20.16, §8.1.1.5).

import { isLws, isToken, parseDigits, skipLws } from './chars.js';

export interface CSeq {
  seq: number;
  method: string;
}

/** RFC 3261 §8.1.1.5: the sequence number MUST be expressible as a 32-bit unsigned integer and less than 2**31. */
export const MAX_CSEQ = 2 ** 31 - 1;

export function parseCSeq(v: string): CSeq | undefined {
  const n = v.length;
  const a = skipLws(v, 0);
  let b = a;
  while (b < n && !isLws(v.charCodeAt(b))) b++;
  const seq = parseDigits(v, a, b, MAX_CSEQ);
  if (seq < 0) return undefined;
  const m = skipLws(v, b);
  let e = m;
  while (e < n && isToken(v.charCodeAt(e))) e++;
  if (e === m || skipLws(v, e) !== n) return undefined;
  return { seq, method: v.slice(m, e) };
}

/**
 * parseCSeq over v[a, n); when the method is spelled like `known` (the
 * request's method) that string is reused instead of a new slice.
 */
export function parseCSeqRange(v: string, a0: number, n: number, known: string): CSeq | undefined {
  const a = skipLws(v, a0, n);
  let b = a;
  while (b < n && !isLws(v.charCodeAt(b))) b++;
  const seq = parseDigits(v, a, b, MAX_CSEQ);
  if (seq < 0) return undefined;
  const m = skipLws(v, b, n);
  let e = m;
  while (e < n && isToken(v.charCodeAt(e))) e++;
  if (e === m || skipLws(v, e, n) !== n) return undefined;
  let same = e - m === known.length;
  for (let i = 0; same && i < known.length; i++) same = v.charCodeAt(m + i) === known.charCodeAt(i);
  return { seq, method: same ? known : v.slice(m, e) };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}
