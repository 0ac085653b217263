// name-addr / addr-spec with header params: From, To, Contact, Route,
// Record-Route, Reply-To, Refer-To … (RFC 3261 §20.10, §20.20, §20.39, §25.1).

import { endOfQuoted, isLws, isToken, skipLws } from './chars.js';
import { parseUri, schemeEnd, type SipUri } from './uri.js';
import { atEnd, formatParams, paramsOf, spanParam, walkParams, type Params } from './params.js';

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
 * A class so `uri` can be a lazy prototype getter: most uses of a From, To or
 * Route want the tag or the raw URI, and a full URI parse would double the cost.
 */
class ParsedNameAddr implements NameAddr {
  private parsed: SipUri | null | undefined = undefined;
  private map: Params | undefined = undefined;
  constructor(
    readonly displayName: string,
    readonly rawUri: string,
    private readonly paramText: string,
    readonly tag: string | undefined,
    readonly bracketed: boolean,
    known: SipUri | undefined,
  ) {
    if (known !== undefined) this.parsed = known;
  }
  get params(): Params {
    return (this.map ??= paramsOf(this.paramText));
  }
  get uri(): SipUri | undefined {
    if (this.parsed === undefined) this.parsed = parseUri(this.rawUri) ?? null;
    return this.parsed ?? undefined;
  }
}

/** Parses one name-addr or addr-spec value (one element of a Contact list, a whole From/To). */
export function parseNameAddr(v: string, validateUri = false): NameAddr | undefined {
  const n = v.length;
  let i = skipLws(v, 0);
  let displayName = '';
  let bracketed = false;
  let rawUri: string;
  if (i >= n) return undefined;
  const c = v.charCodeAt(i);
  if (c === 0x22) {
    const q = endOfQuoted(v, i);
    if (q < 0) return undefined;
    displayName = unquote(v.slice(i + 1, q - 1));
    i = skipLws(v, q);
    if (v.charCodeAt(i) !== 0x3c) return undefined;
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
      displayName = v.slice(i, lastTokenEnd);
      if (spaced) displayName = displayName.replace(/[ \t\r\n]+/g, ' ');
      i = j;
      bracketed = true;
    }
  }
  let rest: number;
  let colon: number;
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
    rawUri = v.slice(i + 1, close);
    colon = schemeEnd(rawUri);
    if (colon < 0) return undefined;
    rest = close + 1;
  } else {
    // addr-spec: the URI ends at the first ';' (those params are header params) or LWS.
    const s = i;
    while (i < n) {
      const d = v.charCodeAt(i);
      if (d === 0x3b || isLws(d) || d === 0x2c) break;
      i++;
    }
    rawUri = v.slice(s, i);
    colon = schemeEnd(rawUri);
    // §20: a URI with '?' or ',' must be in name-addr form; addr-spec needs a scheme.
    if (colon < 0 || rawUri.indexOf('?') >= 0) return undefined;
    rest = i;
  }
  let known: SipUri | undefined;
  if (validateUri) {
    const scheme = rawUri.slice(0, colon).toLowerCase();
    if (scheme === 'sip' || scheme === 'sips' || scheme === 'tel') {
      known = parseUri(rawUri);
      if (known === undefined) return undefined;
    }
  }
  const pEnd = walkParams(v, rest);
  if (pEnd < 0 || !atEnd(v, pEnd)) return undefined;
  const tag = spanParam(v, 'tag');
  return new ParsedNameAddr(displayName, rawUri, v.slice(rest, pEnd), tag ?? undefined, bracketed, known);
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
