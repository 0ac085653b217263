// Read-only accessors over a parsed body: what the relay and the policy ask of
// each m= section. They scan the section's lines on demand (a section is tens of
// lines), so the parse stays cheap for bodies nobody inspects.

import { attrName, attrValue, parseConnection, parseMediaLine, parseOrigin, parseRtcp, splitCrypto } from './fields.js';
import type { Connection, CryptoAttr, Direction, MediaInfo, Origin, Sdp, SdpLine } from './types.js';

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** RFC 8839 attributes that exist only when the endpoint does ICE. */
export function isIceAttr(name: string): boolean {
  return name === 'candidate' || name === 'end-of-candidates' || name === 'remote-candidates' || name.startsWith('ice-');
}

export function origin(sdp: Sdp): Origin | undefined {
  for (const l of sdp.session) if (l.type === 'o') return parseOrigin(l.text);
  return undefined;
}

export function sessionConnection(sdp: Sdp): Connection | undefined {
  for (const l of sdp.session) if (l.type === 'c') return parseConnection(l.text);
  return undefined;
}

function direction(lines: readonly SdpLine[]): Direction | undefined {
  let d: Direction | undefined;
  for (const l of lines) {
    if (l.type !== 'a') continue;
    const name = attrName(l.text);
    if (DIRECTIONS.has(name)) d = name as Direction;
  }
  return d;
}

export function sessionDirection(sdp: Sdp): Direction | undefined {
  return direction(sdp.session);
}

function hasIce(lines: readonly SdpLine[]): boolean {
  for (const l of lines) if (l.type === 'a' && isIceAttr(attrName(l.text))) return true;
  return false;
}

/** The attribute values of every `a=<name>` line in a section (name compared case-insensitively). */
export function attributes(lines: readonly SdpLine[], name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const l of lines) if (l.type === 'a' && attrName(l.text) === want) out.push(attrValue(l.text));
  return out;
}

/** RFC 3264 §8.4: 0.0.0.0 (IPv4) or :: was the RFC 2543 way to say "hold". */
export function isHoldAddress(c: Connection | undefined): boolean {
  return c !== undefined && (c.address === '0.0.0.0' || c.address === '::');
}

export function mediaInfo(sdp: Sdp, index: number): MediaInfo | undefined {
  const lines = sdp.media[index];
  if (lines === undefined || lines[0] === undefined) return undefined;
  const m = parseMediaLine(lines[0].text);
  if (m === undefined) return undefined;
  let mediaConn: Connection | undefined;
  let rtcp: MediaInfo['rtcp'];
  let rtcpMux = false;
  const crypto: CryptoAttr[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.type === 'c') {
      if (mediaConn === undefined) mediaConn = parseConnection(l.text);
      continue;
    }
    if (l.type !== 'a') continue;
    const name = attrName(l.text);
    if (name === 'rtcp') rtcp ??= parseRtcp(attrValue(l.text));
    else if (name === 'rtcp-mux') rtcpMux = true;
    else if (name === 'crypto') {
      const c = splitCrypto(attrValue(l.text));
      if (c !== undefined) crypto.push(c);
    }
  }
  const sessConn = sessionConnection(sdp);
  const connection = mediaConn ?? sessConn;
  const dir = direction(lines) ?? direction(sdp.session) ?? 'sendrecv';
  const holdByAddress = isHoldAddress(connection);
  return {
    index,
    type: m.type,
    port: m.port,
    portCount: m.portCount,
    proto: m.proto,
    formats: m.formats,
    connection,
    connectionLevel: mediaConn !== undefined ? 'media' : sessConn !== undefined ? 'session' : undefined,
    rtcp,
    rtcpMux,
    direction: dir,
    hold: dir !== 'sendrecv' || holdByAddress,
    holdByAddress,
    rejected: m.port === 0,
    crypto,
    ice: hasIce(lines) || hasIce(sdp.session),
  };
}

export function mediaInfos(sdp: Sdp): MediaInfo[] {
  const out: MediaInfo[] = [];
  for (let i = 0; i < sdp.media.length; i++) {
    const m = mediaInfo(sdp, i);
    if (m !== undefined) out.push(m);
  }
  return out;
}

/** True when any stream in the body is put on hold (RFC 3264 §8.4), for the media timeout and CDRs. */
export function isOnHold(sdp: Sdp): boolean {
  const infos = mediaInfos(sdp);
  return infos.some((m) => !m.rejected && m.hold);
}
