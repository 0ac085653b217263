// Finding the SDP in a SIP body (whole body or one multipart part), putting the
// rewritten one back, and scrubbing lines that would name the sender's addresses
// in places the relay rewrite does not touch (s=, i=, a=ssrc cname, …).
import { locateSdp, parseSdp, type Sdp, type SdpLine, type SdpLocation } from '../../media/sdp/index.js';
import { attrName, parseConnection, parseOrigin, parseRtcp, attrValue } from '../../media/sdp/fields.js';
import type { SipMessage } from '../../sip/index.js';

export type BodySdp =
  | { kind: 'none' }
  | { kind: 'sdp'; sdp: Sdp; location: SdpLocation }
  | { kind: 'bad'; reason: string; detail: string };

/** The SDP a message carries, if any. A body that is not SDP at all is 'none'; one we cannot read safely is 'bad'. */
export function findSdp(msg: SipMessage): BodySdp {
  const body = msg.body;
  if (body.length === 0) return { kind: 'none' };
  let contentType = msg.header('content-type');
  // No Content-Type (a broken peer) but clearly SDP: treat it as such rather than let addresses through.
  if (contentType === undefined || contentType.trim() === '') {
    if (!/^\s*v=0\r?\n/.test(body.subarray(0, 8).toString('latin1'))) return { kind: 'none' };
    contentType = 'application/sdp';
  }
  const loc = locateSdp(contentType, body);
  if (!loc.ok) {
    if (loc.reason === 'not_sdp' || loc.reason === 'no_sdp_part') return { kind: 'none' };
    return { kind: 'bad', reason: loc.reason, detail: loc.detail };
  }
  const parsed = parseSdp(body.subarray(loc.location.start, loc.location.end));
  if (!parsed.ok) return { kind: 'bad', reason: parsed.reason, detail: parsed.detail };
  return { kind: 'sdp', sdp: parsed.sdp, location: loc.location };
}

/** Every address the body names: o=, c= (both levels), a=rtcp. */
export function addressesOf(sdp: Sdp): Set<string> {
  const out = new Set<string>();
  const scan = (lines: readonly SdpLine[]) => {
    for (const l of lines) {
      if (l.type === 'o') {
        const o = parseOrigin(l.text);
        if (o) out.add(o.address);
      } else if (l.type === 'c') {
        const c = parseConnection(l.text);
        if (c) out.add(c.address);
      } else if (l.type === 'a' && attrName(l.text) === 'rtcp') {
        const r = parseRtcp(attrValue(l.text));
        if (r?.connection) out.add(r.connection.address);
      }
    }
  };
  scan(sdp.session);
  for (const m of sdp.media) scan(m);
  out.delete('0.0.0.0');
  out.delete('::');
  out.delete('-');
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes lines other than those the rewrite replaces (o=, c=, m=, a=rtcp) that
 * mention one of `addresses`; an s= line that does becomes "s=-" (s= is mandatory).
 */
export function scrubSdp(sdp: Sdp, addresses: Iterable<string>): Sdp {
  const list = [...addresses].filter((a) => a.length > 0);
  if (list.length === 0) return sdp;
  const re = new RegExp(`(?<![0-9A-Za-z.:-])(?:${list.map(escape).join('|')})(?![0-9A-Za-z:-]|\\.[0-9A-Za-z])`, 'i');
  const keep = (l: SdpLine): SdpLine | undefined => {
    if (l.type === 'o' || l.type === 'c' || l.type === 'm' || l.type === 'v' || l.type === 't' || l.type === '') return l;
    if (l.type === 'a' && attrName(l.text) === 'rtcp') return l;
    if (!re.test(l.text)) return l;
    return l.type === 's' ? { type: 's', text: 's=-', eol: l.eol } : undefined;
  };
  const filter = (lines: readonly SdpLine[]) => lines.map(keep).filter((l): l is SdpLine => l !== undefined);
  return { session: filter(sdp.session), media: sdp.media.map((m) => [m[0]!, ...filter(m.slice(1))]), binary: sdp.binary };
}
