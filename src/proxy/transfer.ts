// Call transfer across the realms: REFER's Refer-To (RFC 3515), Replaces
// (RFC 3891, as a header or inside Refer-To) and Referred-By (RFC 3892). All three
// carry one side's topology: Refer-To and Referred-By name its hosts, Replaces names
// a dialog by the Call-ID that side knows (and Palisade gives each side its own).
// Rewritten for the receiving side: a SIP URI's host becomes our address on that
// side, so the INVITE the transfer causes comes to us and is routed like any other;
// a Replaces Call-ID becomes the receiver's Call-ID for the same dialog, and one
// that names no dialog we relay is refused (RFC 3891 §3: 481), since the receiver
// could not know it either.
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

/** URI parameters that route to a particular host or flow of the sender's side. */
const FLOW_PARAMS = ['maddr', 'transport', 'received', 'ob', 'lr', 'gr'];

/** A Replaces value, `callid *( ";" param )`, with its Call-ID mapped; undefined when unknown. */
export function mapReplaces(value: string, map: CallIdMap): string | undefined {
  const v = value.trim();
  const semi = v.indexOf(';');
  const callId = (semi < 0 ? v : v.slice(0, semi)).trim();
  if (callId === '') return undefined;
  const mapped = map(callId);
  if (mapped === undefined) return undefined;
  return semi < 0 ? mapped : mapped + v.slice(semi);
}

/**
 * Refer-To (or any name-addr naming a transfer target) for the receiving side.
 * tel: URIs and other schemes name no host of ours and pass as they are.
 */
export function rewriteReferTo(value: string, us: OurAddress, map: CallIdMap): TransferEdit {
  const na = parseNameAddr(value, true);
  if (na === undefined) return { ok: false, status: 400, reason: 'Bad Refer-To' };
  const uri = na.uri;
  if (uri === undefined || uri.scheme === 'tel') return { ok: true, value };
  const headers = new Map<string, string>();
  for (const [name, raw] of uri.headers) {
    if (name.toLowerCase() !== 'replaces') {
      headers.set(name, raw);
      continue;
    }
    const mapped = mapReplaces(unescapeHvalue(raw), map);
    if (mapped === undefined) return { ok: false, status: 400, reason: 'Refer-To Replaces names no dialog known here' };
    headers.set(name, escapeHvalue(mapped));
  }
  const out = ours(uri, us);
  out.headers = headers;
  return { ok: true, value: formatNameAddr({ displayName: na.displayName, rawUri: formatUri(out), params: na.params }) };
}

/** Referred-By: the referrer's URI with our host; undefined when it does not parse (then drop it). */
export function rewriteReferredBy(value: string, us: OurAddress): string | undefined {
  const na = parseNameAddr(value, true);
  if (na === undefined) return undefined;
  const uri = na.uri;
  if (uri === undefined || uri.scheme === 'tel') return value;
  const out = ours(uri, us);
  out.headers = new Map();
  // cid= points at a body part (an S/MIME token) that names the sender; keep the rest
  const params = new Map(na.params);
  params.delete('cid');
  return formatNameAddr({ displayName: na.displayName, rawUri: formatUri(out), params });
}

/** The same user and user-facing parameters, at our address on the receiving side. */
function ours(uri: SipUri, us: OurAddress): SipUri {
  const params = new Map(uri.params);
  for (const p of FLOW_PARAMS) params.delete(p);
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
