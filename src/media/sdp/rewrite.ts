// The media relay's rewrite: put the relay's addresses, ports, proto and keys
// into a body, drop what must not cross (ICE towards a non-ICE side, the other
// leg's keys, RTCP addresses), keep everything else (codecs, fmtp,
// telephone-event, direction) exactly as it was.

import { attrName, parseConnection, parseMediaLine } from './fields.js';
import { isHoldAddress, isIceAttr, mediaInfo } from './media.js';
import { stampVersion, type LegOrigin } from './origin.js';
import { dominantEol, serializeSdp } from './serialize.js';
import type { Direction, Sdp, SdpLine } from './types.js';

/** What the relay offers for one m= section on the leg the body goes to. */
export interface MediaTarget {
  /** The relay's address on this leg (IPv4 or IPv6). */
  address: string;
  /** The relay's RTP port; 0 rejects the stream (RFC 3264 §6: unsupported media). A stream already at port 0 stays 0. */
  port: number;
  /** RFC 3605: written as `a=rtcp` when not port + 1 or when the body already had one; ignored with rtcpMux. */
  rtcpPort?: number;
  /** RFC 5761: keep/add `a=rtcp-mux` and drop `a=rtcp`; false or absent removes `a=rtcp-mux`. */
  rtcpMux?: boolean;
  /** The profile to present; an `F` (AVPF/SAVPF) variant in the original is kept. Absent: unchanged. */
  proto?: 'RTP/AVP' | 'RTP/SAVP';
  /** `a=crypto` values (or whole `a=crypto:` lines) made by src/media/srtp/sdes; [] removes all; absent keeps them. */
  crypto?: readonly string[];
}

export interface RewriteOptions {
  /** Per m= index; may be absent only for rejected (port 0) streams. */
  media: readonly (MediaTarget | undefined)[];
  /** Address for o= and the session-level c=. */
  address: string;
  /** o= state of the leg the body goes to; the result carries the next one. */
  leg: LegOrigin;
  /** Remove ICE attributes (towards a side without ICE). */
  stripIce?: boolean;
}

export interface MediaOutcome {
  readonly index: number;
  readonly rejected: boolean;
  readonly direction: Direction;
  /** Held (direction or the RFC 2543 0.0.0.0 address, which is preserved). */
  readonly hold: boolean;
}

export type RewriteResult =
  | { ok: true; sdp: Sdp; text: string; leg: LegOrigin; version: bigint; media: readonly MediaOutcome[]; hold: boolean }
  | { ok: false; reason: 'missing_target' | 'bad_target'; detail: string; index: number };

/** Never appears in a parsed line (controls are refused), so it safely marks the version field. */
const VERSION_MARK = '\u0000';

const RTP_PROTO = /^(UDP\/TLS\/)?RTP\/S?AVPF?$/i;

export function addrType(address: string): 'IP4' | 'IP6' {
  return address.includes(':') ? 'IP6' : 'IP4';
}

/** Maps the wanted profile onto the original, keeping the feedback (F) variant: RTP/AVPF + RTP/SAVP → RTP/SAVPF. */
export function presentProto(original: string, want: 'RTP/AVP' | 'RTP/SAVP' | undefined): string {
  // Only RTP profiles map onto each other; udptl, TCP/MSRP and the like keep theirs.
  if (want === undefined || !RTP_PROTO.test(original)) return original;
  return /AVPF$/i.test(original) ? want + 'F' : want;
}

function validPort(p: number | undefined, zeroOk = false): boolean {
  return p !== undefined && Number.isInteger(p) && (p > 0 || (zeroOk && p === 0)) && p <= 65535;
}

/** An address goes into a line verbatim: it must be one token, nothing that could end or split the line. */
function usableAddress(a: string): boolean {
  return a.length > 0 && a.length <= 255 && /^[0-9A-Za-z.:%_-]+$/.test(a);
}

function line(type: string, text: string, eol: string): SdpLine {
  return { type, text, eol };
}

function cryptoText(v: string): string {
  return v.startsWith('a=crypto:') ? v : 'a=crypto:' + v;
}

export function rewriteSdp(sdp: Sdp, opts: RewriteOptions): RewriteResult {
  const eol = dominantEol(sdp);
  const sessionAddr = opts.address;
  const stripIce = opts.stripIce === true;
  if (!usableAddress(sessionAddr)) return { ok: false, reason: 'bad_target', detail: 'bad session address', index: -1 };
  if (!/^\d{1,20}$/.test(opts.leg.sessionId) || !/^[!-~]{1,64}$/.test(opts.leg.username)) {
    return { ok: false, reason: 'bad_target', detail: 'bad o= username or session id', index: -1 };
  }

  // Session level: o=, c=, ICE.
  const session: SdpLine[] = [];
  let sessionConnAddress: string | undefined;
  for (const l of sdp.session) {
    if (l.type === 'o') {
      session.push(line('o', `o=${opts.leg.username} ${opts.leg.sessionId} ${VERSION_MARK} IN ${addrType(sessionAddr)} ${sessionAddr}`, l.eol));
      continue;
    }
    if (l.type === 'c') {
      const c = parseConnection(l.text);
      if (isHoldAddress(c)) {
        sessionConnAddress = c!.address;
        session.push(l);
      } else {
        sessionConnAddress = sessionAddr;
        session.push(line('c', `c=IN ${addrType(sessionAddr)} ${sessionAddr}`, l.eol));
      }
      continue;
    }
    if (l.type === 'a' && (leaksTopology(attrName(l.text)) || (stripIce && isIceAttr(attrName(l.text))))) continue;
    session.push(l);
  }

  const media: SdpLine[][] = [];
  const outcomes: MediaOutcome[] = [];
  for (let i = 0; i < sdp.media.length; i++) {
    const lines = sdp.media[i]!;
    const info = mediaInfo(sdp, i);
    const m = parseMediaLine(lines[0]!.text);
    if (info === undefined || m === undefined) return { ok: false, reason: 'bad_target', detail: `m= ${i} unreadable`, index: i };
    const target = opts.media[i];
    const rejected = m.port === 0 || target?.port === 0;
    if (m.port !== 0 && target === undefined) {
      return { ok: false, reason: 'missing_target', detail: `no relay target for active m= ${i}`, index: i };
    }
    if (target !== undefined && (!validPort(target.port, true) || (target.rtcpPort !== undefined && !validPort(target.rtcpPort)) || !usableAddress(target.address) || target.crypto?.some((c) => !/^[ -~]+$/.test(c)) === true)) {
      return { ok: false, reason: 'bad_target', detail: `m= ${i}: bad address or port`, index: i };
    }
    const addr = target?.address ?? sessionAddr;
    const out: SdpLine[] = [];

    // m=: port (0 stays 0), proto, formats untouched.
    const proto = presentProto(m.proto, target?.proto);
    const port = rejected ? 0 : target!.port;
    out.push(line('m', `m=${m.type} ${port} ${proto}${m.formats.length > 0 ? ' ' + m.formats.join(' ') : ''}`, lines[0]!.eol));

    let sawConn = false;
    let sawRtcp = false;
    let sawMux = false;
    let cryptoPlaced = false;
    // A rejected stream with no target carries no keys: they belonged to the other leg.
    const newCrypto = target?.crypto ?? (rejected ? [] : undefined);
    const wantMux = !rejected && target?.rtcpMux === true;
    const rtcpPort = wantMux || rejected ? undefined : target?.rtcpPort;
    const rtcpLine = (e: string): SdpLine => line('a', `a=rtcp:${rtcpPort!} IN ${addrType(addr)} ${addr}`, e);
    for (let j = 1; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.type === 'c') {
        sawConn = true;
        const c = parseConnection(l.text);
        // Old-style hold keeps its 0.0.0.0: it says "hold", it reveals nothing.
        out.push(isHoldAddress(c) ? l : line('c', `c=IN ${addrType(addr)} ${addr}`, l.eol));
        continue;
      }
      if (l.type !== 'a') {
        out.push(l);
        continue;
      }
      const name = attrName(l.text);
      if (stripIce && isIceAttr(name)) continue;
      if (leaksTopology(name)) continue;
      if (name === 'rtcp') {
        // The other leg's RTCP address must not cross; put ours in its place, or nothing.
        if (!sawRtcp && rtcpPort !== undefined) out.push(rtcpLine(l.eol));
        sawRtcp = true;
        continue;
      }
      if (name === 'rtcp-mux') {
        if (wantMux && !sawMux) out.push(l);
        sawMux = true;
        continue;
      }
      if (name === 'crypto' && newCrypto !== undefined) {
        if (!cryptoPlaced) for (const c of newCrypto) out.push(line('a', cryptoText(c), l.eol));
        cryptoPlaced = true;
        continue;
      }
      out.push(l);
    }
    // A stream whose effective address was the session one, now different from the relay's: say it here (RFC 8866 §5.7).
    if (!sawConn && !isHoldAddress(info.connection) && sessionConnAddress !== addr) {
      let at = 1;
      while (at < out.length && out[at]!.type === 'i') at++;
      out.splice(at, 0, line('c', `c=IN ${addrType(addr)} ${addr}`, eol));
    }
    const add: SdpLine[] = [];
    if (!sawRtcp && rtcpPort !== undefined && rtcpPort !== port + 1) add.push(rtcpLine(eol));
    if (wantMux && !sawMux) add.push(line('a', 'a=rtcp-mux', eol));
    if (newCrypto !== undefined && !cryptoPlaced) for (const c of newCrypto) add.push(line('a', cryptoText(c), eol));
    if (add.length > 0) out.splice(trailingBlank(out), 0, ...add);
    media.push(out);
    outcomes.push({ index: i, rejected, direction: info.direction, hold: !rejected && info.hold });
  }

  fixEols(session, media, eol, lastEol(sdp));
  const draft: Sdp = { session, media, binary: sdp.binary };
  const content = serializeSdp(draft);
  const { version, leg } = stampVersion(opts.leg, content);
  const v = version.toString();
  for (let k = 0; k < session.length; k++) {
    const l = session[k]!;
    if (l.type === 'o') session[k] = line('o', l.text.replace(VERSION_MARK, v), l.eol);
  }
  const result: Sdp = { session, media, binary: sdp.binary };
  return { ok: true, sdp: result, text: serializeSdp(result), leg, version, media: outcomes, hold: outcomes.some((o) => o.hold) };
}

/** Index where lines may be appended: before any blank lines that end the section. */
function trailingBlank(out: SdpLine[]): number {
  let k = out.length;
  while (k > 1 && out[k - 1]!.type === '') k--;
  return k;
}

function lastEol(sdp: Sdp): string {
  const lastSection = sdp.media.length > 0 ? sdp.media[sdp.media.length - 1]! : sdp.session;
  return lastSection[lastSection.length - 1]?.eol ?? '';
}

/** Lines we inserted after a final line with no newline need one; the body still ends the way it did. */
function fixEols(session: SdpLine[], media: SdpLine[][], eol: string, finalEol: string): void {
  const all: SdpLine[][] = [session, ...media];
  let lastArr: SdpLine[] | undefined;
  for (const arr of all) {
    for (let k = 0; k < arr.length; k++) if (arr[k]!.eol === '') arr[k] = line(arr[k]!.type, arr[k]!.text, eol);
    if (arr.length > 0) lastArr = arr;
  }
  if (lastArr !== undefined) {
    const l = lastArr[lastArr.length - 1]!;
    lastArr[lastArr.length - 1] = line(l.type, l.text, finalEol);
  }
}

/**
 * RFC 5576 a=ssrc lines carry a CNAME that endpoints fill with user@address (baresip,
 * browsers): the other side's address would cross in it. The relay does not need them
 * and plain SIP endpoints do not use them, so they never cross.
 */
function leaksTopology(name: string): boolean {
  return name === 'ssrc' || name === 'ssrc-group';
}
