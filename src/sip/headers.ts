// Header names (RFC 3261 §7.3, §20) and header-value list handling (§7.3.1).

/** Compact forms: RFC 3261 §7.3.3 plus the later RFCs that registered one. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  f: 'from',
  t: 'to',
  v: 'via',
  k: 'supported',
  s: 'subject',
  c: 'content-type',
  o: 'event', // RFC 6665
  u: 'allow-events', // RFC 6665
  r: 'refer-to', // RFC 3515
  b: 'referred-by', // RFC 3892
  x: 'session-expires', // RFC 4028
  y: 'identity', // RFC 8224
  a: 'accept-contact', // RFC 3841
  j: 'reject-contact', // RFC 3841
  d: 'request-disposition', // RFC 3841
});

/** Spelling used when we write a header ourselves (edits keep the caller's spelling). */
const PRETTY: Readonly<Record<string, string>> = Object.freeze({
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
});

/**
 * Headers whose value must not be cut at commas: single-valued ones whose
 * grammar allows commas (dates, free text, quoted display names) and the
 * auth headers, where the comma separates auth-params, not header values.
 * Everything else, including unknown extension headers, is treated as a
 * comma list (RFC 3261 §7.3.1).
 */
const NOT_A_LIST = new Set([
  'call-id', 'cseq', 'from', 'to', 'content-length', 'content-type', 'max-forwards',
  'subject', 'date', 'expires', 'min-expires', 'timestamp', 'organization', 'user-agent',
  'server', 'authorization', 'proxy-authorization', 'www-authenticate', 'proxy-authenticate',
  'authentication-info', 'retry-after', 'priority', 'mime-version', 'reply-to', 'identity',
  'identity-info', 'refer-to', 'referred-by', 'session-expires', 'min-se', 'content-disposition',
  'rseq', 'rack', 'event', 'subscription-state', 'replaces', 'sip-etag', 'sip-if-match',
]);

export function isListHeader(canonical: string): boolean {
  return !NOT_A_LIST.has(canonical);
}

/**
 * Headers the parser itself reads, with small numeric ids so it can keep
 * "first line of X" in an array slot instead of searching by name.
 */
export const H_VIA = 1, H_FROM = 2, H_TO = 3, H_CALL_ID = 4, H_CSEQ = 5, H_MAX_FORWARDS = 6, H_CONTENT_LENGTH = 7;
/** Ids below KNOWN_IDS are once-only (besides Via) or parser-read; the ones from here on only index first lines. */
export const KNOWN_IDS = 8;
export const H_CONTACT = 8, H_ROUTE = 9, H_RECORD_ROUTE = 10, H_AUTHORIZATION = 11;
/** Slots in a message's first-line index. */
export const INDEXED_IDS = 12;

// Every spelling (lowercase) we know → [canonical, id]. Canonical strings are
// the literals below, so names from the parse and from lookups are the very
// same string objects and compare by pointer.
const KNOWN: Array<[string, string, number]> = [
  ['via', 'via', H_VIA], ['v', 'via', H_VIA],
  ['from', 'from', H_FROM], ['f', 'from', H_FROM],
  ['to', 'to', H_TO], ['t', 'to', H_TO],
  ['call-id', 'call-id', H_CALL_ID], ['i', 'call-id', H_CALL_ID],
  ['cseq', 'cseq', H_CSEQ],
  ['max-forwards', 'max-forwards', H_MAX_FORWARDS],
  ['content-length', 'content-length', H_CONTENT_LENGTH], ['l', 'content-length', H_CONTENT_LENGTH],
  ['contact', 'contact', H_CONTACT], ['m', 'contact', H_CONTACT],
  ['route', 'route', H_ROUTE], ['record-route', 'record-route', H_RECORD_ROUTE],
  ['content-type', 'content-type', 0], ['c', 'content-type', 0],
  ['supported', 'supported', 0], ['k', 'supported', 0],
  ['allow', 'allow', 0], ['user-agent', 'user-agent', 0], ['server', 'server', 0],
  ['expires', 'expires', 0], ['authorization', 'authorization', H_AUTHORIZATION],
  ['proxy-authorization', 'proxy-authorization', 0], ['www-authenticate', 'www-authenticate', 0],
  ['proxy-authenticate', 'proxy-authenticate', 0], ['require', 'require', 0],
  ['proxy-require', 'proxy-require', 0], ['subject', 'subject', 0],
  ['s', 'subject', 0], ['accept', 'accept', 0], ['session-expires', 'session-expires', 0], ['x', 'session-expires', 0],
  ['event', 'event', 0], ['o', 'event', 0], ['p-asserted-identity', 'p-asserted-identity', 0],
];

/** Hash of a lowercase name as the parser computes it while scanning (h = h*31 + lower(c)). */
export function nameHash(lower: string): number {
  let h = 0;
  for (let i = 0; i < lower.length; i++) h = (Math.imul(h, 31) + lower.charCodeAt(i)) | 0;
  return h;
}

export interface KnownName {
  spelled: string;
  canon: string;
  id: number;
}
/** Parser lookup by hash; collisions are resolved by comparing the spelling. */
export const KNOWN_BY_HASH = new Map<number, KnownName[]>();
for (const [spelled, canon, id] of KNOWN) {
  const h = nameHash(spelled);
  const list = KNOWN_BY_HASH.get(h) ?? [];
  list.push({ spelled, canon, id });
  KNOWN_BY_HASH.set(h, list);
}

/**
 * The same names as an open-addressing table the scan probes with the hash it
 * computes anyway: slot = (h ^ h >>> 9) & NAME_MASK, linear probing, each slot
 * holding 1 + an index into NAME_SPELLED / NAME_CANON / NAME_ID (0 = empty).
 * No Map, no string made for a known name.
 */
export const NAME_MASK = 255;
export const NAME_SLOTS = new Int32Array(NAME_MASK + 1);
export const NAME_SPELLED: string[] = [];
export const NAME_CANON: string[] = [];
export const NAME_ID: number[] = [];
export const NAME_HASH: number[] = [];
/** The spellings' bytes back to back; NAME_AT[k] is where spelling k starts. */
export const NAME_BYTES = new Uint8Array(KNOWN.reduce((a, [s]) => a + s.length, 0));
export const NAME_AT: number[] = [];
for (const [spelled, canon, id] of KNOWN) {
  NAME_AT.push(NAME_AT.length === 0 ? 0 : NAME_AT[NAME_AT.length - 1]! + NAME_SPELLED[NAME_SPELLED.length - 1]!.length);
  for (let i = 0; i < spelled.length; i++) NAME_BYTES[NAME_AT[NAME_AT.length - 1]! + i] = spelled.charCodeAt(i);
  const h = nameHash(spelled);
  let slot = (h ^ (h >>> 9)) & NAME_MASK;
  while (NAME_SLOTS[slot] !== 0) slot = (slot + 1) & NAME_MASK;
  NAME_SLOTS[slot] = NAME_SPELLED.length + 1;
  NAME_SPELLED.push(spelled);
  NAME_CANON.push(canon);
  NAME_ID.push(id);
  NAME_HASH.push(h);
}

// Spellings seen so far → canonical lowercase long name. Bounded so a peer
// sending random header names cannot grow it without limit.
const CANON_CACHE = new Map<string, string>();
const CANON_CACHE_MAX = 2048;
for (const [spelled, canon] of KNOWN) CANON_CACHE.set(spelled, canon);

/** Lowercase long form of a header name: 'V', 'via', 'VIA' → 'via'. */
export function canonicalName(name: string): string {
  const hit = CANON_CACHE.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const known = CANON_CACHE.get(lower);
  const canon = known ?? (lower.length === 1 ? (COMPACT_FORMS[lower] ?? lower) : lower);
  if (CANON_CACHE.size < CANON_CACHE_MAX) CANON_CACHE.set(name, canon);
  return canon;
}

/** A readable spelling for a canonical name: 'record-route' → 'Record-Route'. */
export function prettyName(canonical: string): string {
  const p = PRETTY[canonical];
  if (p !== undefined) return p;
  return canonical.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());
}

/**
 * Folded continuation lines are equivalent to one SP (§7.3.1); returns the
 * value with CRLF+WS runs collapsed and outer whitespace trimmed.
 */
export function unfold(v: string): string {
  if (v.indexOf('\r') === -1 && v.indexOf('\n') === -1) return trimWs(v);
  // Appends whole runs between line breaks: linear even for thousands of folds.
  let out = '';
  let from = 0;
  const n = v.length;
  for (;;) {
    let i = from;
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c === 0x0d || c === 0x0a) break;
      i++;
    }
    let seg = v.slice(from, i);
    if (i >= n) return trimWs(out + seg);
    let j = i;
    while (j < n) {
      const d = v.charCodeAt(j);
      if (d === 0x0d || d === 0x0a || d === 0x20 || d === 0x09) j++;
      else break;
    }
    // Whitespace already before the fold stays; the fold itself becomes one SP.
    const last = seg.length > 0 ? seg.charCodeAt(seg.length - 1) : out.length > 0 ? out.charCodeAt(out.length - 1) : 0x20;
    if (last !== 0x20 && last !== 0x09) seg += ' ';
    out += seg;
    from = j;
  }
}

export function trimWs(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b) {
    const c = v.charCodeAt(a);
    if (c === 0x20 || c === 0x09) a++;
    else break;
  }
  while (b > a) {
    const c = v.charCodeAt(b - 1);
    if (c === 0x20 || c === 0x09) b--;
    else break;
  }
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

/**
 * Splits a header value at commas that separate list elements: commas inside
 * a quoted-string or between < and > belong to the element. Empty elements
 * (allowed by the #rule) are dropped. One pass, no backtracking.
 */
export function splitList(v: string, out: string[] = []): string[] {
  const n = v.length;
  let start = 0;
  for (;;) {
    const end = listElementEnd(v, start, n);
    pushTrimmed(v, start, end, out);
    if (end >= n) return out;
    start = end + 1;
  }
}

/**
 * End of the list element starting at v[i] within v[i, n): the index of the
 * comma splitList would cut at, or n. Same quote and < > rules as splitList.
 */
export function listElementEnd(v: string, i: number, n: number): number {
  let inAngle = false;
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22 && !inAngle) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = v.charCodeAt(j);
        if (d === 0x5c) j++;
        else if (d === 0x22) break;
      }
      i = j;
    } else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) return i;
  }
  return n;
}

/** listElementEnd over the bytes b[i, n). */
export function listElementEndB(b: Uint8Array, i: number, n: number): number {
  let inAngle = false;
  for (; i < n; i++) {
    const c = b[i]!;
    if (c === 0x22 && !inAngle) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = b[j]!;
        if (d === 0x5c) j++;
        else if (d === 0x22) break;
      }
      i = j;
    } else if (c === 0x3c) inAngle = true;
    else if (c === 0x3e) inAngle = false;
    else if (c === 0x2c && !inAngle) return i;
  }
  return n;
}

function pushTrimmed(v: string, a: number, b: number, out: string[]): void {
  while (a < b && isSpace(v.charCodeAt(a))) a++;
  while (b > a && isSpace(v.charCodeAt(b - 1))) b--;
  if (b > a) out.push(v.slice(a, b));
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}
