// Via (RFC 3261 §20.42, §18.2.1) and the RFC 3581 rport extension.

import { HOST, HOST_NAME, TOKEN, isLws, isToken, parseDigits, skipLws } from './chars.js';
import { PARAM_SPANS, atEnd, atEndB, formatParams, paramsOf, skipLwsB, spanIndex, spanIndexB, walkParams, walkParamsB, type Params } from './params.js';

export interface Via {
  /** 'SIP/2.0' (normalized: no LWS, protocol name uppercased). */
  protocol: string;
  /** Uppercased: 'UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS', or any token. */
  transport: string;
  /** sent-by host as written; IPv6 keeps its brackets. */
  host: string;
  port: number | undefined;
  /** All via-params; names lowercase; null when given without '='. Built on first access. */
  readonly params: Params;
  branch: string | undefined;
  received: string | undefined;
  /** undefined: no rport param; null: 'rport' without a value (a request for one); number: filled in. */
  rport: number | null | undefined;
}

/** Parses one via-parm (one element of a Via list). */
export function parseVia(v: string): Via | undefined {
  return parseViaRange(v, 0, v.length);
}

/**
 * Parses the via-parm in src[start, n) without copying it out first; the
 * result keeps offsets into src and slices strings only when they are read.
 * Same grammar as parseVia over src.slice(start, n).
 */
export function parseViaRange(v: string, start: number, n: number): Via | undefined {
  let i = skipLws(v, start, n);
  const p1 = readToken(v, i, n);
  if (p1 === i) return undefined;
  const nameA = i;
  i = skipLws(v, p1, n);
  if (i >= n || v.charCodeAt(i) !== 0x2f) return undefined;
  i = skipLws(v, i + 1, n);
  const p2 = readToken(v, i, n);
  if (p2 === i) return undefined;
  const verA = i;
  i = skipLws(v, p2, n);
  if (i >= n || v.charCodeAt(i) !== 0x2f) return undefined;
  i = skipLws(v, i + 1, n);
  const p3 = readToken(v, i, n);
  if (p3 === i) return undefined;
  const transport = transportName(v, i, p3);
  i = p3;
  if (i >= n || !isLws(v.charCodeAt(i))) return undefined; // LWS between sent-protocol and sent-by
  i = skipLws(v, i, n);
  const hA = i;
  if (i < n && v.charCodeAt(i) === 0x5b) {
    const close = v.indexOf(']', i);
    if (close < 0 || close >= n) return undefined;
    i = close + 1;
    if (i - hA === 2) return undefined; // '[]'
  } else {
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c === 0x3a || c >= 256 || HOST[c] !== 1) break;
      i++;
    }
    if (i === hA) return undefined;
  }
  const hB = i;
  let port: number | undefined;
  let j = skipLws(v, i, n);
  if (j < n && v.charCodeAt(j) === 0x3a) {
    j = skipLws(v, j + 1, n);
    let p = 0;
    const ps = j;
    while (j < n) {
      const d = v.charCodeAt(j) - 0x30;
      if (d < 0 || d > 9) break;
      p = p * 10 + d;
      if (p > 65535) return undefined;
      j++;
    }
    if (j === ps) return undefined;
    port = p;
    i = j;
  }
  const pEnd = walkParams(v, i, n);
  if (pEnd < 0 || !atEnd(v, pEnd, n)) return undefined;
  const sp = PARAM_SPANS;
  const kr = spanIndex(v, 'rport');
  let rport: number | null | undefined;
  if (kr >= 0) {
    if (sp[kr + 2]! < 0) rport = null;
    else {
      const num = parseDigits(v, sp[kr + 2]!, sp[kr + 3]!, 65535);
      if (num < 0) return undefined;
      rport = num;
    }
  }
  const kb = spanIndex(v, 'branch');
  const kv = spanIndex(v, 'received');
  // A param without '=' has no value: branch/received stay undefined, as before.
  const bA = kb >= 0 ? sp[kb + 2]! : -1;
  const rA = kv >= 0 ? sp[kv + 2]! : -1;
  const sip20 =
    p1 - nameA === 3 && v.charCodeAt(nameA) === 0x53 && v.charCodeAt(nameA + 1) === 0x49 && v.charCodeAt(nameA + 2) === 0x50 &&
    p2 - verA === 3 && v.charCodeAt(verA) === 0x32 && v.charCodeAt(verA + 1) === 0x2e && v.charCodeAt(verA + 2) === 0x30;
  return new ParsedVia(
    v,
    sip20 ? 'SIP/2.0' : v.slice(nameA, p1).toUpperCase() + '/' + v.slice(verA, p2),
    transport,
    hA,
    hB,
    port,
    bA,
    bA >= 0 ? sp[kb + 3]! : -1,
    rA,
    rA >= 0 ? sp[kv + 3]! : -1,
    rport,
    i,
    pEnd,
  );
}

/**
 * parseViaRange reading the bytes b (the message buffer) for a range of the
 * head the parse found to be unfolded ASCII; v is the latin1 head string with
 * the same offsets, used for slices. Accepts exactly what parseViaRange does.
 */
export function parseViaBytes(b: Uint8Array, v: string, start: number, n: number): Via | undefined {
  let i = start;
  let sip20 = false;
  let nameA = 0, p1 = 0, verA = 0, p2 = 0;
  // The usual spelling 'SIP/2.0/' in one go; otherwise the general grammar.
  if (n - i > 8 && b[i] === 0x53 && b[i + 1] === 0x49 && b[i + 2] === 0x50 && b[i + 3] === 0x2f && b[i + 4] === 0x32 && b[i + 5] === 0x2e && b[i + 6] === 0x30 && b[i + 7] === 0x2f) {
    sip20 = true;
    i += 8;
    if (TOKEN[b[i]!] !== 1) i = skipLwsB(b, i, n);
  } else {
    i = skipLwsB(b, i, n);
    nameA = i;
    while (i < n && TOKEN[b[i]!] === 1) i++;
    p1 = i;
    if (p1 === nameA) return undefined;
    i = skipLwsB(b, p1, n);
    if (i >= n || b[i] !== 0x2f) return undefined;
    i = skipLwsB(b, i + 1, n);
    verA = i;
    while (i < n && TOKEN[b[i]!] === 1) i++;
    p2 = i;
    if (p2 === verA) return undefined;
    i = skipLwsB(b, p2, n);
    if (i >= n || b[i] !== 0x2f) return undefined;
    i = skipLwsB(b, i + 1, n);
    sip20 =
      p1 - nameA === 3 && b[nameA] === 0x53 && b[nameA + 1] === 0x49 && b[nameA + 2] === 0x50 &&
      p2 - verA === 3 && b[verA] === 0x32 && b[verA + 1] === 0x2e && b[verA + 2] === 0x30;
  }
  const tA = i;
  while (i < n && TOKEN[b[i]!] === 1) i++;
  if (i === tA) return undefined;
  const transport = transportName(v, tA, i);
  if (i >= n) return undefined;
  const c = b[i]!;
  if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return undefined; // LWS between sent-protocol and sent-by
  i = skipLwsB(b, i, n);
  const hA = i;
  if (i < n && b[i] === 0x5b) {
    const close = v.indexOf(']', i);
    if (close < 0 || close >= n) return undefined;
    i = close + 1;
    if (i - hA === 2) return undefined; // '[]'
  } else {
    while (i < n && HOST_NAME[b[i]!] === 1) i++;
    if (i === hA) return undefined;
  }
  const hB = i;
  let port: number | undefined;
  let j = i < n && b[i] === 0x3a ? i : skipLwsB(b, i, n);
  if (j < n && b[j] === 0x3a) {
    j = skipLwsB(b, j + 1, n);
    let p = 0;
    const ps = j;
    while (j < n) {
      const d = b[j]! - 0x30;
      if (d < 0 || d > 9) break;
      p = p * 10 + d;
      if (p > 65535) return undefined;
      j++;
    }
    if (j === ps) return undefined;
    port = p;
    i = j;
  }
  const pEnd = walkParamsB(b, i, n);
  if (pEnd < 0 || !atEndB(b, pEnd, n)) return undefined;
  const sp = PARAM_SPANS;
  const kr = spanIndexB(b, 'rport');
  let rport: number | null | undefined;
  if (kr >= 0) {
    if (sp[kr + 2]! < 0) rport = null;
    else {
      const num = parseDigits(v, sp[kr + 2]!, sp[kr + 3]!, 65535);
      if (num < 0) return undefined;
      rport = num;
    }
  }
  const kb = spanIndexB(b, 'branch');
  const kv = spanIndexB(b, 'received');
  const bA = kb >= 0 ? sp[kb + 2]! : -1;
  const rA = kv >= 0 ? sp[kv + 2]! : -1;
  return new ParsedVia(
    v,
    sip20 ? 'SIP/2.0' : v.slice(nameA, p1).toUpperCase() + '/' + v.slice(verA, p2),
    transport,
    hA,
    hB,
    port,
    bA,
    bA >= 0 ? sp[kb + 3]! : -1,
    rA,
    rA >= 0 ? sp[kv + 3]! : -1,
    rport,
    i,
    pEnd,
  );
}

/** Uppercased transport token; the common ones without allocating. */
function transportName(v: string, a: number, b: number): string {
  const c0 = v.charCodeAt(a);
  const len = b - a;
  if (len === 3) {
    const c1 = v.charCodeAt(a + 1);
    const c2 = v.charCodeAt(a + 2);
    if (c0 === 0x55 && c1 === 0x44 && c2 === 0x50) return 'UDP';
    if (c0 === 0x54 && c1 === 0x43 && c2 === 0x50) return 'TCP';
    if (c0 === 0x54 && c1 === 0x4c && c2 === 0x53) return 'TLS';
    if (c0 === 0x57 && c1 === 0x53 && c2 === 0x53) return 'WSS';
  } else if (len === 2 && c0 === 0x57 && v.charCodeAt(a + 1) === 0x53) return 'WS';
  return v.slice(a, b).toUpperCase();
}

/**
 * A class so the strings are lazy prototype getters: the parse validates every
 * Via but a proxy reads a few fields of the top one. Offsets point into `src`
 * (the message head, or the string given to parseVia); -1 means absent.
 */
class ParsedVia implements Via {
  private map: Params | undefined = undefined;
  private _host: string | undefined = undefined;
  private _branch: string | undefined = undefined;
  private _received: string | undefined = undefined;
  constructor(
    private readonly src: string,
    readonly protocol: string,
    readonly transport: string,
    private readonly hA: number,
    private readonly hB: number,
    readonly port: number | undefined,
    private readonly bA: number,
    private readonly bB: number,
    private readonly rA: number,
    private readonly rB: number,
    readonly rport: number | null | undefined,
    private readonly pA: number,
    private readonly pB: number,
  ) {}
  get host(): string {
    return (this._host ??= this.src.slice(this.hA, this.hB));
  }
  get branch(): string | undefined {
    if (this.bA < 0) return undefined;
    return (this._branch ??= this.src.slice(this.bA, this.bB));
  }
  get received(): string | undefined {
    if (this.rA < 0) return undefined;
    return (this._received ??= this.src.slice(this.rA, this.rB));
  }
  get params(): Params {
    return (this.map ??= paramsOf(this.src.slice(this.pA, this.pB)));
  }
}

function readToken(s: string, i: number, n: number): number {
  while (i < n && isToken(s.charCodeAt(i))) i++;
  return i;
}

export function formatVia(v: Via): string {
  const hp = v.port === undefined ? v.host : `${v.host}:${v.port}`;
  return `${v.protocol}/${v.transport} ${hp}${formatParams(v.params)}`;
}

/** RFC 3261 §18.2.1 branch magic cookie: the branch is globally unique (RFC 3261 transaction id). */
export function hasMagicCookie(v: Via): boolean {
  return v.branch !== undefined && v.branch.length > 7 && v.branch.startsWith('z9hG4bK');
}

/**
 * The server side of RFC 3581 §4 / RFC 3261 §18.2.1: adds received=<ip> and,
 * when the client asked with an empty rport, rport=<port>. Params keep their
 * order; an existing received is replaced. Returns the new Via value, or the
 * input unchanged if it does not parse.
 */
export function withReceived(viaValue: string, ip: string, port: number): string {
  const v = parseVia(viaValue);
  if (v === undefined) return viaValue;
  const params: Params = new Map(v.params);
  const rec = ip.indexOf(':') >= 0 && !ip.startsWith('[') ? `[${ip}]` : ip;
  params.set('received', rec);
  if (v.rport !== undefined) params.set('rport', String(port));
  return formatVia({ protocol: v.protocol, transport: v.transport, host: v.host, port: v.port, params, branch: v.branch, received: rec, rport: v.rport });
}
