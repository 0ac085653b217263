// The crypto step of one suite, apart from stream state (indices, replay):
// context.ts decides which index a packet has and whether it is fresh; a
// transform only seals and opens. Layouts:
//   SRTP  (RFC 3711 §3.1, RFC 7714 §8.1): header | payload' | tag
//   SRTCP AES-CM (RFC 3711 §3.4):         header8 | body' | E|index | tag
//   SRTCP GCM (RFC 7714 §9.1):            header8 | body' | tag | E|index

/**
 * Where an SRTP packet sits in the context's output buffer: the bytes before
 * it are the transform's scratch (HMAC-SHA1 puts its ipad block there, so
 * that ipad ‖ packet ‖ ROC is one contiguous hash input, no copy).
 */
export const RTP_HEADROOM = 64;

export interface RtpTransform {
  readonly tagLength: number;
  /**
   * `out[RTP_HEADROOM, RTP_HEADROOM + len)` holds the plain packet (header
   * length `hl`); encrypt the payload in place and append the tag. `out` has
   * room for the tag plus 4 bytes. Returns the protected length.
   */
  protect(out: Buffer, hl: number, len: number, ssrc: number, index: number): number;
  /**
   * Verify `packet` (tag included) for `index` and only then leave the plain
   * packet at `out[RTP_HEADROOM, …)` (which has room for all of `packet`
   * plus 4 bytes). Returns its length, or -1 if the tag does not verify; the
   * caller treats `out` as garbage then.
   */
  unprotect(packet: Buffer, hl: number, ssrc: number, index: number, out: Buffer): number;
}

export interface RtcpTransform {
  /** bytes added after the plain packet: tag + 4-byte E|index word */
  readonly trailerLength: number;
  /** offset of the E|index word in a protected packet of length `len` */
  indexOffset(len: number): number;
  /** seal `out[0, len)` in place with `index`; E=1 unless `encrypt` is false */
  protect(out: Buffer, len: number, ssrc: number, index: number, encrypt: boolean): number;
  /** verify then open `packet` into `out`; plain length, or -1 on a bad tag */
  unprotect(packet: Buffer, ssrc: number, out: Buffer): number;
}
