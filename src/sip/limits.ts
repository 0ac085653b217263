/** Hard ceilings a parse enforces; every one has its own ParseErrorReason. */
export interface SipLimits {
  /** Whole datagram or framed stream message, head plus body. */
  maxMessageBytes: number;
  /** Header lines (a folded header counts once). */
  maxHeaders: number;
  /** One logical header, continuation lines included. */
  maxHeaderLineBytes: number;
  /** Via values across all Via lines (comma lists count each element). */
  maxVias: number;
  /** Request-URI length. */
  maxUriBytes: number;
}

/** RFC 3261 §18.1.1 keeps UDP well under path MTU; 16 KiB leaves room for big SDP without inviting amplification. */
export const DEFAULT_UDP_LIMITS: Readonly<SipLimits> = Object.freeze({
  maxMessageBytes: 16384,
  maxHeaders: 256,
  maxHeaderLineBytes: 8192,
  maxVias: 32,
  maxUriBytes: 2048,
});

/** Streams carry larger bodies (multipart, big SDP); still bounded so one peer cannot pin memory. */
export const DEFAULT_STREAM_LIMITS: Readonly<SipLimits> = Object.freeze({
  ...DEFAULT_UDP_LIMITS,
  maxMessageBytes: 65536,
});

/** The largest payload a UDP datagram can carry over IPv4; no limit may exceed it on datagrams. */
export const UDP_MAX_PAYLOAD = 65507;

export function resolveLimits(stream: boolean, partial: Partial<SipLimits> | undefined): SipLimits {
  const base = stream ? DEFAULT_STREAM_LIMITS : DEFAULT_UDP_LIMITS;
  if (partial === undefined) return base;
  const l: SipLimits = { ...base, ...partial };
  if (!stream && l.maxMessageBytes > UDP_MAX_PAYLOAD) l.maxMessageBytes = UDP_MAX_PAYLOAD;
  return l;
}
