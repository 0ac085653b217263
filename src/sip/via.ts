// Via (RFC 3261 §20.42, §18.2.1) and the RFC 3581 rport extension.

import { HOST, isLws, isToken, parseDigits, skipLws } from './chars.js';
import { atEnd, formatParams, paramsOf, spanParam, walkParams, type Params } from './params.js';

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
  const n = v.length;
  let i = skipLws(v, 0);
  const p1 = readToken(v, i);
  if (p1 === i) return undefined;
  const name = v.slice(i, p1);
  i = skipLws(v, p1);
  if (v.charCodeAt(i) !== 0x2f) return undefined;
  i = skipLws(v, i + 1);
  const p2 = readToken(v, i);
  if (p2 === i) return undefined;
  const version = v.slice(i, p2);
  i = skipLws(v, p2);
  if (v.charCodeAt(i) !== 0x2f) return undefined;
  i = skipLws(v, i + 1);
  const p3 = readToken(v, i);
  if (p3 === i) return undefined;
  const transport = v.slice(i, p3).toUpperCase();
  i = p3;
  if (i >= n || !isLws(v.charCodeAt(i))) return undefined; // LWS between sent-protocol and sent-by
  i = skipLws(v, i);
  let host: string;
  if (v.charCodeAt(i) === 0x5b) {
    const close = v.indexOf(']', i);
    if (close < 0) return undefined;
    host = v.slice(i, close + 1);
    i = close + 1;
  } else {
    const hs = i;
    while (i < n) {
      const c = v.charCodeAt(i);
      if (c === 0x3a || c >= 256 || HOST[c] !== 1) break;
      i++;
    }
    host = v.slice(hs, i);
  }
  if (host.length === 0 || host === '[]') return undefined;
  let port: number | undefined;
  let j = skipLws(v, i);
  if (v.charCodeAt(j) === 0x3a) {
    j = skipLws(v, j + 1);
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
  const pEnd = walkParams(v, i);
  if (pEnd < 0 || !atEnd(v, pEnd)) return undefined;
  const rp = spanParam(v, 'rport');
  let rport: number | null | undefined;
  if (rp === null) rport = null;
  else if (rp !== undefined) {
    const num = parseDigits(rp, 0, rp.length, 65535);
    if (num < 0) return undefined;
    rport = num;
  }
  return new ParsedVia(
    name === 'SIP' && version === '2.0' ? 'SIP/2.0' : name.toUpperCase() + '/' + version,
    transport,
    host,
    port,
    spanParam(v, 'branch') ?? undefined,
    spanParam(v, 'received') ?? undefined,
    rport,
    v.slice(i, pEnd),
  );
}

/** A class so `params` is a lazy prototype getter: branch, received and rport are what the hot path reads. */
class ParsedVia implements Via {
  private map: Params | undefined = undefined;
  constructor(
    readonly protocol: string,
    readonly transport: string,
    readonly host: string,
    readonly port: number | undefined,
    readonly branch: string | undefined,
    readonly received: string | undefined,
    readonly rport: number | null | undefined,
    private readonly paramText: string,
  ) {}
  get params(): Params {
    return (this.map ??= paramsOf(this.paramText));
  }
}

function readToken(s: string, i: number): number {
  while (i < s.length && isToken(s.charCodeAt(i))) i++;
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
