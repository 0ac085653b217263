// Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate
// (RFC 3261 §20.7, §20.27, §20.28, §20.44, §22.4; RFC 2617 §3.2). Syntax only:
// hashing belongs to security/.

import { endOfQuoted, isLws, isToken, skipLws } from './chars.js';

export interface DigestParams {
  /** As written: 'Digest', or an unknown scheme (still parsed as auth-params). */
  scheme: string;
  /** Names lowercase; values unquoted and unescaped. */
  params: Map<string, string>;
}

export type DigestKind = 'challenge' | 'credentials';

/** Params written as bare tokens; everything else is quoted (RFC 2617 grammar). */
const UNQUOTED: Record<DigestKind, ReadonlySet<string>> = {
  challenge: new Set(['algorithm', 'stale']),
  credentials: new Set(['algorithm', 'nc', 'qop']),
};

export function parseDigestParams(value: string): DigestParams | undefined {
  const n = value.length;
  let i = skipLws(value, 0);
  const s0 = i;
  while (i < n && isToken(value.charCodeAt(i))) i++;
  if (i === s0) return undefined;
  const scheme = value.slice(s0, i);
  const params = new Map<string, string>();
  const noEscapes = value.indexOf('\\', i) < 0;
  if (i < n && !isLws(value.charCodeAt(i))) return undefined;
  i = skipLws(value, i);
  while (i < n) {
    const ns = i;
    while (i < n && isToken(value.charCodeAt(i))) i++;
    if (i === ns) return undefined;
    const name = knownDirective(value, ns, i) ?? value.slice(ns, i).toLowerCase();
    i = skipLws(value, i);
    if (value.charCodeAt(i) !== 0x3d) return undefined;
    i = skipLws(value, i + 1);
    let v: string;
    if (value.charCodeAt(i) === 0x22) {
      // Without any backslash in the value a quoted-string ends at the next
      // '"': one native search instead of a char loop.
      const q = noEscapes ? value.indexOf('"', i + 1) + 1 : endOfQuoted(value, i);
      if (q <= 0) return undefined;
      v = noEscapes ? value.slice(i + 1, q - 1) : unescapeQuoted(value.slice(i + 1, q - 1));
      i = q;
    } else {
      const vs = i;
      while (i < n && isToken(value.charCodeAt(i))) i++;
      if (i === vs) return undefined;
      v = value.slice(vs, i);
    }
    const before = params.size;
    params.set(name, v);
    if (params.size === before) return undefined; // RFC 2617: each directive at most once
    i = skipLws(value, i);
    if (i >= n) break;
    if (value.charCodeAt(i) !== 0x2c) return undefined;
    i = skipLws(value, i + 1);
  }
  return { scheme, params };
}

/** RFC 2617 / RFC 7616 directive names, shared instead of sliced and lowercased per message. */
const DIRECTIVES = ['username', 'realm', 'nonce', 'uri', 'response', 'algorithm', 'cnonce', 'opaque', 'qop', 'nc', 'stale', 'domain', 'userhash', 'auts'];

/** The directive spelled (case-insensitively) as s[a, b), or undefined. */
function knownDirective(s: string, a: number, b: number): string | undefined {
  const n = b - a;
  for (let k = 0; k < DIRECTIVES.length; k++) {
    const w = DIRECTIVES[k]!;
    if (w.length !== n) continue;
    let i = 0;
    while (i < n && (s.charCodeAt(a + i) | 0x20) === w.charCodeAt(i)) i++;
    if (i === n) return w;
  }
  return undefined;
}

function unescapeQuoted(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x5c && i + 1 < s.length) i++;
    out += s[i];
  }
  return out;
}

/** Writes `Scheme a="x", b=y` with each param quoted as its grammar wants for that kind of header. */
export function formatDigestParams(d: DigestParams, kind: DigestKind): string {
  const unq = UNQUOTED[kind];
  const parts: string[] = [];
  for (const [k, v] of d.params) {
    parts.push(unq.has(k) && v.length > 0 && isAllTokenChars(v) ? `${k}=${v}` : `${k}="${v.replace(/["\\]/g, (m) => '\\' + m)}"`);
  }
  return parts.length > 0 ? `${d.scheme} ${parts.join(', ')}` : d.scheme;
}

function isAllTokenChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isToken(s.charCodeAt(i))) return false;
  return true;
}
