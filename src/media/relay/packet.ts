// Header peeks on raw datagrams. RTP (RFC 3550 §5.1) and RTCP (§6.4) share the
// version bits; rtcp-mux (RFC 5761 §4) tells them apart by the second byte.

export function isRtpVersion2(buf: Buffer): boolean {
  return buf.length >= 8 && (buf[0]! & 0xc0) === 0x80;
}

/** RFC 5761 §4: packet types 192–223 in the second byte are RTCP (SR 200, RR 201, …). */
export function looksLikeRtcp(buf: Buffer): boolean {
  const pt = buf[1]!;
  return pt >= 192 && pt <= 223;
}

export function rtpSeq(buf: Buffer): number {
  return (buf[2]! << 8) | buf[3]!;
}

export function rtpTimestamp(buf: Buffer): number {
  return buf.readUInt32BE(4);
}

export function rtpPayloadType(buf: Buffer): number {
  return buf[1]! & 0x7f;
}
