// name-addr / addr-spec with header params: From, To, Contact, Route,
// Record-Route, Reply-To, Refer-To … (RFC 3261 §20.10, §20.20, §20.39, §25.1).

import { ANGLE_STOP, TOKEN, endOfQuoted, isLws, isToken, skipLws } from './chars.js';
import { parseUri, schemeEnd, schemeEndB, schemeEndIn, type SipUri } from './uri.js';
import { PARAM_SPANS, atEnd, atEndB, endOfQuotedB, formatParams, paramsOf, skipLwsB, spanIndex, spanIndexB, walkParams, walkParamsB, type Params } from './params.js';

export interface NameAddr {
  /** Display name, unquoted and unescaped; '' when absent. */
  readonly displayName: string;
  /** The URI text between < > (or the addr-spec), as written. */
  readonly rawUri: string;
  /** Parsed on first access, for sip, sips and tel; undefined for other schemes (http:, urn:, …). */
  readonly uri: SipUri | undefined;
  /** Header params (not URI params); names lowercase. */
  readonly params: Params;
  /** params.get('tag') when it has a value. */
  readonly tag: string | undefined;
  /** True when written as name-addr (with < >). */
  readonly bracketed: boolean;
}

/**
 * A class so the strings and `uri` are lazy prototype getters: most uses of a
 * From, To or Route want the tag or the raw URI, and a full URI parse would
 * double the cost. Offsets point into `src` (the message head, or the string
 * given to parseNameAddr).
 */
class ParsedNameAddr implements NameAddr {
  private parsed: SipUri | null | undefined = undefined;
  private map: Params | undefined = undefined;
  private _dn: string | undefined = undefined;
  private _raw: string | undefined = undefined;
  private _tag: string | undefined = undefined;
  constructor(
    private readonly src: string,
    /** Display name: 0 none, 1 quoted-string (offsets inside the quotes), 2 tokens (offsets span them), 3 tokens with LWS runs inside. */
    private readonly dnKind: number,
    private readonly dnA: number,
    private readonly dnB: number,
    private readonly uA: number,
    private readonly uB: number,
    private readonly pA: number,
    private readonly pB: number,
    private readonly tA: number,
    private readonly tB: number,
    readonly bracketed: boolean,
    known: SipUri | undefined,
  ) {
    if (known !== undefined) this.parsed = known;
  }
  get displayName(): string {
    if (this._dn === undefined) {
      const k = this.dnKind;
      const raw = k === 0 ? '' : this.src.slice(this.dnA, this.dnB);
      this._dn = k === 1 ? unquote(raw) : k === 3 ? raw.replace(/[ \t\r\n]+/g, ' ') : raw;
    }
    return this._dn;
  }
  get rawUri(): string {
    return (this._raw ??= this.src.slice(this.uA, this.uB));
  }
  get tag(): string | undefined {
    if (this.tA < 0) return undefined;
    return (this._tag ??= this.src.slice(this.tA, this.tB));
  }
  get params(): Params {
    return (this.map ??= paramsOf(this.src.slice(this.pA, this.pB)));
  }
  get uri(): SipUri | undefined {
    if (this.parsed === undefined) this.parsed = parseUri(this.rawUri) ?? null;
    return this.parsed ?? undefined;
  }
}

/** Parses one name-addr or addr-spec value (one element of a Contact list, a whole From/To). */
export function parseNameAddr(v: string, validateUri = false): NameAddr | undefined {
  return parseNameAddrRange(v, 0, v.length, validateUri);
}

/** parseNameAddr over v[start, n) without copying it out first. */
export function parseNameAddrRange(v: string, start: number, n: number, validateUri = false): NameAddr | undefined {
  let i = skipLws(v, start, n);
  let dnKind = 0;
  let dnA = 0;
  let dnB = 0;
  let bracketed = false;
  if (i >= n) return undefined;
  const c = v.charCodeAt(i);
  if (c === 0x22) {
    const q = endOfQuoted(v, i, n);
    if (q < 0) return undefined;
    dnKind = 1;
    dnA = i + 1;
    dnB = q - 1;
    i = skipLws(v, q, n);
    if (i >= n || v.charCodeAt(i) !== 0x3c) return undefined;
    bracketed = true;
  } else if (c === 0x3c) {
    bracketed = true;
  } else {
    // Either `*(token LWS) <` or an addr-spec: look ahead over tokens.
    let j = i;
    let lastTokenEnd = i;
    let spaced = false;
    while (j < n) {
      const d = v.charCodeAt(j);
      if (isToken(d)) {
        j++;
        lastTokenEnd = j;
      } else if (isLws(d)) {
        j++;
        spaced = true;
      } else break;
    }
    if (j < n && v.charCodeAt(j) === 0x3c && lastTokenEnd > i) {
      dnKind = spaced ? 3 : 2;
      dnA = i;
      dnB = lastTokenEnd;
      i = j;
      bracketed = true;
    }
  }
  let rest: number;
  let uA: number;
  let uB: number;
  if (bracketed) {
    // RFC 3261 §25.1: LAQUOT/RAQUOT allow no whitespace inside the brackets.
    let close = i + 1;
    while (close < n) {
      const d = v.charCodeAt(close);
      if (d === 0x3e) break;
      if (d === 0x20 || d === 0x09 || d === 0x0d || d === 0x0a) return undefined;
      close++;
    }
    if (close >= n) return undefined;
    uA = i + 1;
    uB = close;
    if (schemeEndIn(v, uA, uB) < 0) return undefined;
    rest = close + 1;
  } else {
    // addr-spec: the URI ends at the first ';' (those params are header params) or LWS.
    const s = i;
    while (i < n) {
      const d = v.charCodeAt(i);
      if (d === 0x3b || isLws(d) || d === 0x2c) break;
      i++;
    }
    uA = s;
    uB = i;
    // §20: a URI with '?' or ',' must be in name-addr form; addr-spec needs a scheme.
    if (schemeEndIn(v, uA, uB) < 0) return undefined;
    for (let k = uA; k < uB; k++) if (v.charCodeAt(k) === 0x3f) return undefined;
    rest = i;
  }
  let known: SipUri | undefined;
  if (validateUri) {
    const rawUri = v.slice(uA, uB);
    const scheme = rawUri.slice(0, schemeEnd(rawUri)).toLowerCase();
    if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') {
      known = parseUri(rawUri);
      if (known === undefined) return undefined;
    }
  }
  const pEnd = walkParams(v, rest, n);
  if (pEnd < 0 || !atEnd(v, pEnd, n)) return undefined;
  const kt = spanIndex(v, 'tag');
  const tA = kt >= 0 ? PARAM_SPANS[kt + 2]! : -1;
  const tB = tA >= 0 ? PARAM_SPANS[kt + 3]! : -1;
  return new ParsedNameAddr(v, dnKind, dnA, dnB, uA, uB, rest, pEnd, tA, tB, bracketed, known);
}

/**
 * parseNameAddrRange (without URI validation) reading the bytes b of the
 * message for a range of the head the parse found to be unfolded ASCII; v is
 * the latin1 head string with the same offsets, used for slices.
 */
export function parseNameAddrBytes(b: Uint8Array, v: string, start: number, n: number): NameAddr | undefined {
  let i = skipLwsB(b, start, n);
  let dnKind = 0;
  let dnA = 0;
  let dnB = 0;
  let bracketed = false;
  if (i >= n) return undefined;
  const c = b[i]!;
  if (c === 0x22) {
    const q = endOfQuotedB(b, i, n);
    if (q < 0) return undefined;
    dnKind = 1;
    dnA = i + 1;
    dnB = q - 1;
    i = skipLwsB(b, q, n);
    if (i >= n || b[i] !== 0x3c) return undefined;
    bracketed = true;
  } else if (c === 0x3c) {
    bracketed = true;
  } else {
    let j = i;
    let lastTokenEnd = i;
    let spaced = false;
    while (j < n) {
      const d = b[j]!;
      if (TOKEN[d] === 1) {
        j++;
        lastTokenEnd = j;
      } else if (d === 0x20 || d === 0x09 || d === 0x0d || d === 0x0a) {
        j++;
        spaced = true;
      } else break;
    }
    if (j < n && b[j] === 0x3c && lastTokenEnd > i) {
      dnKind = spaced ? 3 : 2;
      dnA = i;
      dnB = lastTokenEnd;
      i = j;
      bracketed = true;
    }
  }
  let rest: number;
  let uA: number;
  let uB: number;
  if (bracketed) {
    let close = i + 1;
    while (close < n && ANGLE_STOP[b[close]!] !== 1) close++;
    if (close >= n || b[close] !== 0x3e) return undefined; // no '>', or whitespace inside < >
    uA = i + 1;
    uB = close;
    if (schemeEndB(b, uA, uB) < 0) return undefined;
    rest = close + 1;
  } else {
    const s = i;
    while (i < n) {
      const d = b[i]!;
      if (d === 0x3b || d === 0x20 || d === 0x09 || d === 0x0d || d === 0x0a || d === 0x2c) break;
      i++;
    }
    uA = s;
    uB = i;
    if (schemeEndB(b, uA, uB) < 0) return undefined;
    for (let k = uA; k < uB; k++) if (b[k] === 0x3f) return undefined;
    rest = i;
  }
  const pEnd = walkParamsB(b, rest, n);
  if (pEnd < 0 || !atEndB(b, pEnd, n)) return undefined;
  const kt = spanIndexB(b, 'tag');
  const tA = kt >= 0 ? PARAM_SPANS[kt + 2]! : -1;
  const tB = tA >= 0 ? PARAM_SPANS[kt + 3]! : -1;
  return new ParsedNameAddr(v, dnKind, dnA, dnB, uA, uB, rest, pEnd, tA, tB, bracketed, undefined);
}

function unquote(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x5c && i + 1 < s.length) i++;
    out += s[i];
  }
  return out;
}

function quote(s: string): string {
  return '"' + s.replace(/["\\]/g, (m) => '\\' + m) + '"';
}

/** Always writes name-addr form, the one that is unambiguous for every URI. */
export function formatNameAddr(na: Pick<NameAddr, 'displayName' | 'rawUri' | 'params'>): string {
  const dn = na.displayName.length > 0 ? quote(na.displayName) + ' ' : '';
  return `${dn}<${na.rawUri}>${formatParams(na.params)}`;
}
