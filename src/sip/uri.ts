// SIP, SIPS (RFC 3261 §19.1, §25.1) and tel (RFC 3966) URIs.

import { HOST, SCHEME, URI_FORBIDDEN, isHex } from './chars.js';

export interface SipUri {
  /** Lowercased. */
  scheme: 'sip' | 'sips' | 'tel';
  /** Kept escaped as on the wire. For tel: the number (global or local). */
  user: string | undefined;
  password: string | undefined;
  /** Host as written; IPv6 references keep their brackets. '' for tel. */
  host: string;
  port: number | undefined;
  /** uri-parameters; names lowercase, values as written, null when given without '='. */
  params: Map<string, string | null>;
  /** ?headers, names and values as written (escaped). */
  headers: Map<string, string>;
}

/** Does s start with `scheme ":"`? Returns the index of ':' or -1 (RFC 3986 §3.1). */
export function schemeEnd(s: string): number {
  return schemeEndIn(s, 0, s.length);
}

/** schemeEnd over s[a, b): the index of ':' in s, or -1. */
export function schemeEndIn(s: string, a: number, b: number): number {
  if (a >= b) return -1;
  const c0 = s.charCodeAt(a) | 0x20;
  if (!(c0 >= 0x61 && c0 <= 0x7a)) return -1;
  const lim = b - a < 64 ? b : a + 64;
  for (let i = a + 1; i < lim; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3a) return i;
    if (c >= 256 || SCHEME[c] !== 1) return -1;
  }
  return -1;
}

/** schemeEndIn over the bytes b[a, e). */
export function schemeEndB(b: Uint8Array, a: number, e: number): number {
  if (a >= e) return -1;
  const c0 = b[a]! | 0x20;
  if (!(c0 >= 0x61 && c0 <= 0x7a)) return -1;
  const lim = e - a < 64 ? e : a + 64;
  for (let i = a + 1; i < lim; i++) {
    const c = b[i]!;
    if (c === 0x3a) return i;
    if (SCHEME[c] !== 1) return -1;
  }
  return -1;
}

/** Parses a sip:, sips: or tel: URI; undefined for other schemes or malformed input. */
export function parseUri(s: string): SipUri | undefined {
  const colon = schemeEnd(s);
  if (colon < 0) return undefined;
  const scheme = knownScheme(s, colon);
  if (scheme === 'tel') return parseTel(s, colon + 1);
  if (scheme === undefined) return undefined;
  const n = s.length;
  let i = colon + 1;

  // userinfo: everything up to the first '@' (an unescaped '@' cannot occur in user or password).
  let user: string | undefined;
  let password: string | undefined;
  const at = s.indexOf('@', i);
  if (at >= 0) {
    const ui = s.slice(i, at);
    const pc = ui.indexOf(':');
    user = pc >= 0 ? ui.slice(0, pc) : ui;
    password = pc >= 0 ? ui.slice(pc + 1) : undefined;
    if (user.length === 0 || !validComponent(user) || (password !== undefined && !validComponent(password))) return undefined;
    i = at + 1;
  }

  // hostport
  let host: string;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    if (close < 0) return undefined;
    host = s.slice(i, close + 1);
    if (!validHost(host, i + 1, close, s)) return undefined;
    i = close + 1;
  } else {
    const hs = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break;
      if (c >= 256 || HOST[c] !== 1) return undefined;
      i++;
    }
    host = s.slice(hs, i);
    if (host.length === 0) return undefined;
  }
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    const ps = ++i;
    let p = 0;
    while (i < n) {
      const d = s.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) break;
      p = p * 10 + d;
      if (p > 65535) return undefined;
      i++;
    }
    if (i === ps) return undefined;
    port = p;
  }
  const params = new Map<string, string | null>();
  const headers = new Map<string, string>();
  if (!parseParamsAndHeaders(s, i, params, headers)) return undefined;
  return { scheme, user, password, host, port, params, headers };
}

function parseTel(s: string, i: number): SipUri | undefined {
  const semi = s.indexOf(';', i);
  const numEnd = semi < 0 ? s.length : semi;
  const num = s.slice(i, numEnd);
  if (num.length === 0) return undefined;
  for (let k = 0; k < num.length; k++) {
    const c = num.charCodeAt(k);
    // global-number-digits / local-number-digits: digits, hex, visual separators, * # +
    if (!((c >= 0x30 && c <= 0x39) || isHex(c) || c === 0x2d || c === 0x2e || c === 0x28 || c === 0x29 || c === 0x2a || c === 0x23 || c === 0x2b)) return undefined;
  }
  const params = new Map<string, string | null>();
  const headers = new Map<string, string>();
  if (!parseParamsAndHeaders(s, numEnd, params, headers) || headers.size > 0) return undefined;
  return { scheme: 'tel', user: num, password: undefined, host: '', port: undefined, params, headers };
}

/** 'sip', 'sips' or 'tel' when s[0, colon) is that scheme in any case. */
function knownScheme(s: string, colon: number): 'sip' | 'sips' | 'tel' | undefined {
  const c0 = s.charCodeAt(0) | 0x20;
  const c1 = s.charCodeAt(1) | 0x20;
  const c2 = s.charCodeAt(2) | 0x20;
  if (colon === 3) {
    if (c0 === 0x73 && c1 === 0x69 && c2 === 0x70) return 'sip';
    if (c0 === 0x74 && c1 === 0x65 && c2 === 0x6c) return 'tel';
  } else if (colon === 4 && c0 === 0x73 && c1 === 0x69 && c2 === 0x70 && (s.charCodeAt(3) | 0x20) === 0x73) return 'sips';
  return undefined;
}

/** URI param names common enough to share rather than slice per URI. */
const URI_PARAMS = ['lr', 'transport', 'user', 'ob', 'maddr', 'ttl', 'method', 'gr'];

/** Fills params and headers from s[i]; false when malformed. */
function parseParamsAndHeaders(s: string, i: number, params: Map<string, string | null>, headers: Map<string, string>): boolean {
  const n = s.length;
  while (i < n && s.charCodeAt(i) === 0x3b) {
    // One param: name[=value] up to the next ';' or '?', checked in place.
    const a = i + 1;
    let j = a;
    let eq = -1;
    let upper = false;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 0x3b || c === 0x3f) break;
      if (c === 0x3d && eq < 0) eq = j;
      else if (eq < 0 && c >= 0x41 && c <= 0x5a) upper = true;
      j++;
    }
    const ne = eq >= 0 ? eq : j;
    if (ne === a || !validIn(s, a, ne) || (eq >= 0 && (j === eq + 1 || !validIn(s, eq + 1, j)))) return false;
    let name: string | undefined;
    if (!upper) {
      for (let k = 0; k < URI_PARAMS.length; k++) {
        const w = URI_PARAMS[k]!;
        if (w.length !== ne - a) continue;
        let x = 0;
        while (x < w.length && w.charCodeAt(x) === s.charCodeAt(a + x)) x++;
        if (x === w.length) {
          name = w;
          break;
        }
      }
    }
    if (name === undefined) name = upper ? s.slice(a, ne).toLowerCase() : s.slice(a, ne);
    params.set(name, eq >= 0 ? s.slice(eq + 1, j) : null);
    i = j;
  }
  if (i < n) {
    if (s.charCodeAt(i) !== 0x3f) return false;
    for (const h of s.slice(i + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) return false;
      const hn = h.slice(0, eq);
      const hv = h.slice(eq + 1);
      if (!validComponent(hn) || (hv.length > 0 && !validComponent(hv))) return false;
      headers.set(hn, hv);
    }
  }
  return true;
}

/** validComponent over s[a, b). */
function validIn(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c >= 256 || URI_FORBIDDEN[c] === 1) return false;
    if (c === 0x25 && !(i + 2 < b && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2)))) return false;
  }
  return true;
}

/** No forbidden characters, and every '%' starts a valid escape. */
function validComponent(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 256 || URI_FORBIDDEN[c] === 1) return false;
    if (c === 0x25 && !(isHex(v.charCodeAt(i + 1)) && isHex(v.charCodeAt(i + 2)))) return false;
  }
  return true;
}

function validHost(_host: string, a: number, b: number, s: string): boolean {
  if (b <= a) return false;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!(isHex(c) || c === 0x3a || c === 0x2e)) return false;
  }
  return true;
}

/** Writes a URI back; parseUri(formatUri(u)) yields an equal value. */
export function formatUri(u: SipUri): string {
  let out = u.scheme + ':';
  if (u.scheme === 'tel') out += u.user ?? '';
  else {
    if (u.user !== undefined) out += u.user + (u.password !== undefined ? ':' + u.password : '') + '@';
    out += u.host;
    if (u.port !== undefined) out += ':' + u.port;
  }
  for (const [k, v] of u.params) out += v === null ? `;${k}` : `;${k}=${v}`;
  let first = true;
  for (const [k, v] of u.headers) {
    out += (first ? '?' : '&') + k + '=' + v;
    first = false;
  }
  return out;
}
