// The values the SRTP layer trades in. Everything a caller can get back from
// packet input is a value, never an exception: media is untrusted input.

/** The SDES crypto-suites we speak (RFC 4568 §6.2, RFC 7714 §14.1). */
export type SuiteName =
  | 'AES_CM_128_HMAC_SHA1_80'
  | 'AES_CM_128_HMAC_SHA1_32'
  | 'AEAD_AES_128_GCM'
  | 'AEAD_AES_256_GCM';

/** Static parameters of a suite; lengths in bytes. */
export interface Suite {
  readonly name: SuiteName;
  readonly aead: boolean;
  /** master and session encryption key length */
  readonly keyLength: number;
  /** master and session salt length (14 for AES-CM, 12 for GCM) */
  readonly saltLength: number;
  /** session authentication key length (HMAC-SHA1: 20; GCM: 0) */
  readonly authKeyLength: number;
  readonly rtpTagLength: number;
  /** SRTCP always carries the 80-bit tag for the HMAC suites (RFC 4568 §6.2.2) */
  readonly rtcpTagLength: number;
}

/** Session keys for one of SRTP or SRTCP, derived per RFC 3711 §4.3. */
export interface SessionKeys {
  readonly encKey: Buffer;
  readonly salt: Buffer;
  /** empty for AEAD suites */
  readonly authKey: Buffer;
}

export type RefusalReason =
  /** the authentication tag did not verify (or the packet was forged/corrupted) */
  | 'auth'
  /** already received, or older than the replay window */
  | 'replay'
  /** too short to hold the header and trailer */
  | 'short'
  /** not RTP/RTCP version 2, or header lengths that overrun the packet */
  | 'bad_header';

/**
 * Result of unprotect. `packet` is the whole plain RTP/RTCP packet (header
 * included), `payload` the part after the RTP header (for RTCP: after the
 * first 8 bytes). Both are views into a buffer owned by the context: consume
 * (or copy) them before the next call on the same context.
 */
export type UnprotectResult =
  | { readonly ok: true; readonly packet: Buffer; readonly payload: Buffer }
  | { readonly ok: false; readonly reason: RefusalReason };

/**
 * Result of protect. `packet` is a view into the context's output buffer,
 * valid until the next call. Protect refuses a packet whose index it already
 * used ('replay'): reusing a counter-mode index with another payload would
 * leak both plaintexts, and a relay may see duplicates from its plain side.
 */
export type ProtectResult =
  | { readonly ok: true; readonly packet: Buffer }
  | { readonly ok: false; readonly reason: 'replay' | 'short' | 'bad_header' | 'exhausted' };

export interface ContextOptions {
  /** replay window in packets: 64 (default) or 128 (RFC 3711 §3.3.2 minimum is 64) */
  readonly replayWindow?: 64 | 128;
  /**
   * How many SSRCs one context tracks before it forgets the least recently
   * created one (bounded memory; a call rarely has more than a few). Default 16.
   */
  readonly maxStreams?: number;
  /**
   * Write results to the thread's shared output buffers (one for protect, one
   * for unprotect) instead of the context's own: a returned view is then
   * valid only until the next call of the same kind on any such context of
   * this thread. For a relay that sends each result before the next packet,
   * this keeps one warm buffer instead of a cold one per context.
   */
  readonly sharedOutput?: boolean;
}

/** One direction of an SRTP session: SRTP and SRTCP together, for any SSRC. */
export interface SrtpContext {
  readonly suite: Suite;
  protectRtp(packet: Buffer): ProtectResult;
  unprotectRtp(packet: Buffer): UnprotectResult;
  protectRtcp(packet: Buffer): ProtectResult;
  unprotectRtcp(packet: Buffer): UnprotectResult;
  /**
   * The caller keeps the last result's bytes (e.g. a send that the socket
   * queued still points at them): the next call writes to a new buffer
   * instead of overwriting them. Optional for other implementations.
   */
  releaseOutput?(): void;
}
