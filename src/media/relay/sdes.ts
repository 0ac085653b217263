// RTCP SDES items (RFC 3550 §6.5) are text the sender fills in: the CNAME is
// typically user@address, TOOL names the product. Relayed unchanged they would carry one
// realm's addresses into the other, so every item's text is overwritten in place, at the
// same length (no re-layout, so SRTCP protection after it is unaffected). The CNAME
// becomes a token derived from the SSRC, which keeps it unique per source as §6.5.1 asks.

const SDES = 202;
const HEX = '0123456789abcdef';

/** Overwrites the text of every SDES item in a plain RTCP compound packet. Never throws. */
export function scrubSdes(buf: Buffer): void {
  let off = 0;
  const n = buf.length;
  while (off + 4 <= n) {
    if ((buf[off]! & 0xc0) !== 0x80) return;
    const len = (buf.readUInt16BE(off + 2) + 1) * 4;
    if (off + len > n) return;
    if (buf[off + 1] === SDES) scrubChunks(buf, off, off + len, buf[off]! & 0x1f);
    off += len;
  }
}

function scrubChunks(buf: Buffer, start: number, end: number, count: number): void {
  let pos = start + 4;
  for (let c = 0; c < count && pos + 4 <= end; c++) {
    const ssrc = buf.readUInt32BE(pos);
    pos += 4;
    for (;;) {
      if (pos >= end) return;
      const type = buf[pos]!;
      if (type === 0) {
        // the item list ends with a null octet, padded to the next 32-bit boundary
        pos = start + Math.ceil((pos + 1 - start) / 4) * 4;
        break;
      }
      if (pos + 2 > end) return;
      const len = buf[pos + 1]!;
      const text = pos + 2;
      if (text + len > end) return;
      for (let i = 0; i < len; i++) {
        // CNAME: hex digits of the SSRC, repeated; every other item: '-'
        buf[text + i] = type === 1 ? HEX.charCodeAt((ssrc >>> (28 - 4 * (i % 8))) & 0xf) : 0x2d;
      }
      pos = text + len;
    }
  }
}
