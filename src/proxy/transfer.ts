// Call transfer across the realms: REFER's Refer-To (RFC 3515), Replaces
// (RFC 3891, as a header or inside Refer-To) and Referred-By (RFC 3892). All three
// carry one side's topology: Refer-To and Referred-By name its hosts, Replaces names
// a dialog by the Call-ID that side knows (and Palisade gives each side its own).
// Rewritten for the receiving side, keeping only what is known to be harmless: a SIP
// URI keeps its user part, display name and the `user` and `method` parameters, and
// gets the host the caller passes (our address there, or for the softswitch its own);
// of the URI headers only Replaces (mapped by the caller's function) and Require
// stay; header parameters go. Other schemes than sip, sips and tel are refused (416):
// an http: or im: URI could name anything. A Replaces that names no dialog we relay
// is refused (RFC 3891 §3: 481 for an INVITE), since the receiver could not know it
// either.
import { isIPv6 } from 'node:net';
import { formatNameAddr, formatUri, parseNameAddr, type SipUri } from '../sip/index.js';

/** The Call-ID the receiving side knows for the dialog the sender calls `callId`; undefined when none. */
export type CallIdMap = (callId: string) => string | undefined;

/** Where the receiving side reaches us. */
export interface OurAddress {
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp' | 'tls';
}

export type TransferEdit = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly status: number; readonly reason: string };

/** URI parameters that say something about the target user or request, not about a host or flow. */
const KEPT_PARAMS = new Set(['user', 'method']);
/** URI headers of a Refer-To that may cross (RFC 3515 §2.1 allows any; these are the ones transfers use). */
const KEPT_URI_HEADERS = new Set(['replaces', 'require']);

/**
 * A Replaces value, `callid *( ";" param )`, with its Call-ID mapped; undefined when
 * unknown, or when it holds more than one value (RFC 3891 allows one; the second
 * would cross unmapped).
 */
export function mapReplaces(value: string, map: CallIdMap): string | undefined {
  const v = value.trim();
  if (v.includes(',')) return undefined;
  const semi = v.indexOf(';');
  const callId = (semi < 0 ? v : v.slice(0, semi)).trim();
  if (callId === '') return undefined;
  const mapped = map(callId);
  if (mapped === undefined) return undefined;
  return semi < 0 ? mapped : mapped + v.slice(semi);
}

/**
 * Refer-To for the receiving side, pointing at `us`; a Replaces inside it goes
 * through `map`. tel: URIs keep their number and user parameters only.
 */
export function rewriteReferTo(value: string, us: OurAddress, map: CallIdMap): TransferEdit {
  const na = parseNameAddr(value, true);
  if (na === undefined) return { ok: false, status: 400, reason: 'Bad Refer-To' };
  const uri = na.uri;
  if (uri === undefined) return { ok: false, status: 416, reason: 'Unsupported URI Scheme' };
  if (uri.scheme === 'tel') {
    const tel: SipUri = { ...uri, params: keptParams(uri.params), headers: new Map() };
    return { ok: true, value: formatNameAddr({ displayName: na.displayName, rawUri: formatUri(tel), params: new Map() }) };
  }
  const headers = new Map<string, string>();
  for (const [name, raw] of uri.headers) {
    const lower = name.toLowerCase();
    if (!KEPT_URI_HEADERS.has(lower)) continue;
    if (lower !== 'replaces') {
      headers.set(name, raw);
      continue;
    }
    const mapped = mapReplaces(unescapeHvalue(raw), map);
    if (mapped === undefined) return { ok: false, status: 400, reason: 'Refer-To Replaces names no dialog known here' };
    headers.set(name, escapeHvalue(mapped));
  }
  const out = ours(uri, us);
  out.headers = headers;
  return { ok: true, value: formatNameAddr({ displayName: na.displayName, rawUri: formatUri(out), params: new Map() }) };
}

/**
 * Referred-By: the referrer's URI with our host and no header parameters (`cid`
 * points at an S/MIME body part that names the sender); undefined when it does not
 * parse or is not sip/sips/tel (then drop it).
 */
export function rewriteReferredBy(value: string, us: OurAddress): string | undefined {
  const na = parseNameAddr(value, true);
  if (na === undefined) return undefined;
  const uri = na.uri;
  if (uri === undefined) return undefined;
  const out: SipUri = uri.scheme === 'tel' ? { ...uri, params: keptParams(uri.params), headers: new Map() } : ours(uri, us);
  return formatNameAddr({ displayName: na.displayName, rawUri: formatUri(out), params: new Map() });
}

function keptParams(params: ReadonlyMap<string, string | null>): Map<string, string | null> {
  const kept = new Map<string, string | null>();
  for (const [k, v] of params) if (KEPT_PARAMS.has(k)) kept.set(k, v);
  return kept;
}

/** The same user and user-facing parameters, at the given address on the receiving side. */
function ours(uri: SipUri, us: OurAddress): SipUri {
  const params = keptParams(uri.params);
  // as our Contact is written on that side (endpoints.ts): sip:, with the transport
  // named unless UDP; sips: stays only where that side reaches us over TLS
  if (us.transport !== 'udp') params.set('transport', us.transport);
  const scheme = uri.scheme === 'sips' && us.transport === 'tls' ? 'sips' : 'sip';
  return { scheme, user: uri.user, password: undefined, host: isIPv6(us.host) ? `[${us.host}]` : us.host, port: us.port, params, headers: new Map() };
}

/** RFC 3261 §25.1 hvalue escapes, undone. */
function unescapeHvalue(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** Everything but RFC 3261 `unreserved` escaped: always a valid hvalue. */
function escapeHvalue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || "-_.!~*'()".includes(ch)) out += ch;
    else out += '%' + c.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
