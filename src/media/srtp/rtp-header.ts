// Just enough RTP header parsing (RFC 3550 §5.1, §5.3.1) to find where the
// payload starts: SRTP encrypts only the payload, so CSRCs and the header
// extension stay in the clear and inside the authenticated portion.

/**
 * Header length of the RTP packet in `p[0, end)`, or -1 when it is not RTP
 * version 2 or its CSRC list / extension runs past `end`.
 */
export function rtpHeaderLength(p: Buffer, end: number): number {
  if (end < 12) return -1;
  const b0 = p[0]!;
  if (b0 >>> 6 !== 2) return -1;
  let hl = 12 + 4 * (b0 & 0x0f);
  if ((b0 & 0x10) !== 0) {
    if (hl + 4 > end) return -1;
    hl += 4 + 4 * p.readUInt16BE(hl + 2);
  }
  return hl > end ? -1 : hl;
}

/** RTCP (RFC 3550 §6.4): version 2 and at least the 8 bytes SRTCP leaves clear. */
export function isRtcpHeader(p: Buffer, end: number): boolean {
  return end >= 8 && p[0]! >>> 6 === 2;
}
