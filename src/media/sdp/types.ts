// The shapes the SDP layer trades in (RFC 8866). A parsed body is its lines, in
// order, each kept as the exact text it arrived as: serializing an untouched body
// gives back the same bytes, and anything we do not understand passes through.

/** One `<type>=<value>` line exactly as received (without its line ending). */
export interface SdpLine {
  /** The one-letter type (`v`, `o`, `c`, `m`, `a`, …); '' for a blank line. */
  readonly type: string;
  /** The whole line, type and '=' included. */
  readonly text: string;
  /** '\r\n', '\n' or '' (the last line may have none). */
  readonly eol: string;
}

export interface Sdp {
  /** Session-level lines: everything before the first m= line. */
  readonly session: readonly SdpLine[];
  /** One entry per m= section, each starting with its m= line. */
  readonly media: readonly (readonly SdpLine[])[];
  /**
   * Parsed from a Buffer: text is latin1 (one char per byte) so bytes survive
   * untouched; `sdpToBuffer` encodes it back the same way.
   */
  readonly binary: boolean;
}

/** Metric labels: snake_case, a fixed set. */
export type SdpErrorReason =
  | 'empty'
  | 'too_large'
  | 'too_many_lines'
  | 'line_too_long'
  | 'too_many_media'
  | 'bad_line'
  | 'bad_version'
  | 'bad_origin'
  | 'bad_connection'
  | 'bad_media';

export const SDP_ERROR_REASONS: readonly SdpErrorReason[] = [
  'empty', 'too_large', 'too_many_lines', 'line_too_long', 'too_many_media',
  'bad_line', 'bad_version', 'bad_origin', 'bad_connection', 'bad_media',
];

export type SdpParseResult =
  | { ok: true; sdp: Sdp }
  | { ok: false; reason: SdpErrorReason; detail: string; line?: number };

export interface SdpLimits {
  /** Whole body. */
  maxBytes: number;
  /** Lines, blank ones included. */
  maxLines: number;
  /** One line without its ending. */
  maxLineBytes: number;
  /** m= sections. */
  maxMedia: number;
}

/** Generous for any real offer (WebRTC bodies with many candidates reach ~6 KiB), tight enough that a body costs little. */
export const DEFAULT_SDP_LIMITS: Readonly<SdpLimits> = Object.freeze({
  maxBytes: 32768,
  maxLines: 1024,
  maxLineBytes: 4096,
  maxMedia: 16,
});

/** `c=` (RFC 8866 §5.7) and the address part of `o=` / `a=rtcp`. */
export interface Connection {
  readonly netType: string;
  readonly addrType: string;
  /** The address without any `/ttl/count` suffix. */
  readonly address: string;
  /** The `/ttl[/count]` suffix as written, '' when absent. */
  readonly suffix: string;
}

/** `o=` (RFC 8866 §5.2). Numbers stay strings: sess-id and sess-version may exceed 2^53. */
export interface Origin {
  readonly username: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
}

/** RFC 3264 §5.1 / §8.4; `sendrecv` when nothing is said. */
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** An `a=crypto` line split only as far as `tag suite rest` (RFC 4568 §9.1); the keys are src/media/srtp/sdes's business. */
export interface CryptoAttr {
  readonly tag: string;
  readonly suite: string;
  /** key-params and session-params, as written. */
  readonly rest: string;
  /** The attribute value after `a=crypto:`. */
  readonly value: string;
}

/** What the relay and policy need to know about one m= section. */
export interface MediaInfo {
  readonly index: number;
  /** `audio`, `video`, `image`, `application`, … */
  readonly type: string;
  readonly port: number;
  /** The `/<number of ports>` of the m= line, when present. */
  readonly portCount: number | undefined;
  readonly proto: string;
  readonly formats: readonly string[];
  /** The media-level c= if any, else the session-level one. */
  readonly connection: Connection | undefined;
  readonly connectionLevel: 'media' | 'session' | undefined;
  /** RFC 3605 `a=rtcp`; absent means RTP port + 1 on the RTP address. */
  readonly rtcp: { readonly port: number; readonly connection: Connection | undefined } | undefined;
  /** RFC 5761 `a=rtcp-mux`. */
  readonly rtcpMux: boolean;
  /** The media-level direction attribute, else the session-level one, else sendrecv. */
  readonly direction: Direction;
  /** On hold: a direction other than sendrecv, or the RFC 2543 `c=0.0.0.0` style. */
  readonly hold: boolean;
  /** The connection address is 0.0.0.0 (old-style hold, RFC 3264 §8.4). */
  readonly holdByAddress: boolean;
  /** Port 0: the stream is rejected or removed (RFC 3264 §6, §8.2). */
  readonly rejected: boolean;
  readonly crypto: readonly CryptoAttr[];
  /** ICE attributes at media or session level (RFC 8839). */
  readonly ice: boolean;
}
