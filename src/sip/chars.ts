// Character classes from RFC 3261 §25.1, as lookup tables so scanners do one
// array read per byte instead of a chain of comparisons.

function table(chars: string, ranges: Array<[number, number]> = []): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = 1;
  for (const [a, b] of ranges) for (let c = a; c <= b; c++) t[c] = 1;
  return t;
}

const ALNUM: Array<[number, number]> = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]];

/** token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~") */
export const TOKEN = table("-.!%*_+`'~", ALNUM);
/** Host names, IPv4 and the inside of an IPv6 reference ('_' tolerated: seen in the wild). */
export const HOST = table('-._:', ALNUM);
/** HOST without ':' (a Via sent-by host ends at the port colon). */
export const HOST_NAME = table('-._', ALNUM);
/** Bytes that end the URI inside < >: '>' and the whitespace that makes it malformed. */
export const ANGLE_STOP = table('> \t\r\n');
/** URI scheme characters after the first letter (RFC 3986 §3.1). */
export const SCHEME = table('+-.', ALNUM);
/** Characters that never appear unescaped in a SIP URI component. */
export const URI_FORBIDDEN = table('"<>#[]{}|\\^`@ ', [[0, 0x20], [0x7f, 0xff]]);

export function isToken(c: number): boolean {
  return c < 256 && TOKEN[c] === 1;
}

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** LWS/SWS as seen after unfolding: SP, HT, and any CR/LF left by folded input. */
export function isLws(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

export function skipLws(s: string, i: number, end: number = s.length): number {
  while (i < end && isLws(s.charCodeAt(i))) i++;
  return i;
}

export function isAllToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isToken(s.charCodeAt(i))) return false;
  return true;
}

export function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Index just past a quoted-string starting at s[i] === '"', or -1 if it never closes. */
export function endOfQuoted(s: string, i: number, end: number = s.length): number {
  for (let j = i + 1; j < end; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++; // quoted-pair: the next char is literal, even '"' or NUL
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** Parses 1*DIGIT within [i, end) as a number no larger than max; -1 if not all digits or too big. */
export function parseDigits(s: string, i: number, end: number, max: number): number {
  if (i >= end) return -1;
  let n = 0;
  for (let j = i; j < end; j++) {
    const c = s.charCodeAt(j) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
    if (n > max) return -1; // stops long digit runs early: linear, no float overflow
  }
  return n;
}
