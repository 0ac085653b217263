// The seam between the proxy core and whatever moves the media. The core speaks
// only these types, so the in-process relay (src/media/relay/) and a later
// rtpengine driver (ng protocol) are interchangeable.

export type MediaRealm = 'external' | 'internal';

/** SDP direction attribute of a leg's peer (RFC 3264 §5.1). */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One side of a call: which realm it faces and, optionally, which local IP to use there. */
export interface LegSpec {
  readonly realm: MediaRealm;
  /** Local IP to bind on; default the realm's media address from config. */
  readonly address?: string;
}

export interface SessionSpec {
  /** Caller-chosen, unique among live sessions (the call's internal id does fine). */
  readonly id: string;
  readonly legs: readonly [LegSpec, LegSpec];
}

/** What to put in the SDP sent to a leg's peer: our address and ports on that leg. */
export interface LocalEndpoint {
  readonly realm: MediaRealm;
  /** Bound local address. */
  readonly address: string;
  /** Address to write into SDP (c=): the realm's advertised address when behind 1:1 NAT, else `address`. */
  readonly advertise: string;
  /** Even port. With rtcp-mux RTCP arrives here too. */
  readonly rtpPort: number;
  /** rtpPort + 1; bound in any case so a late "no rtcp-mux" answer still works. */
  readonly rtcpPort: number;
}

/** SRTP suite names as in RFC 4568 / RFC 7714 a=crypto lines. */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM';

export interface SrtpKey {
  readonly suite: SrtpSuite;
  /** Master key followed by master salt, raw bytes (the decoded a=crypto inline key). */
  readonly key: Uint8Array;
}

/** Keys of one SRTP leg: `rx` protects what the peer sends us, `tx` what we send the peer. */
export interface SrtpSpec {
  readonly rx: SrtpKey;
  readonly tx: SrtpKey;
}

/** The far end of a leg as its SDP (offer or answer) describes it. */
export interface RemoteSpec {
  readonly address: string;
  readonly rtpPort: number;
  /** From a=rtcp; default rtpPort + 1. Ignored when rtcpMux. */
  readonly rtcpPort?: number;
  /** Both sides agreed on a=rtcp-mux (RFC 5761): RTCP shares the RTP port. */
  readonly rtcpMux: boolean;
  /** RTP clock of the codec in use, for jitter in seconds; default 8000 (G.711, G.722, G.729). */
  readonly clockRate?: number;
  /** rtpmap encoding name of the codec in use (PCMU, PCMA, G729, opus), for the MOS estimate; default G.711. */
  readonly codec?: string;
  /** Absent: plain RTP on this leg. */
  readonly srtp?: SrtpSpec;
}

/** Counters of one direction of one leg (what we received from its peer, or sent to it). */
export interface StreamStats {
  readonly packets: number;
  readonly bytes: number;
  /** RTCP packets (not included in `packets`). */
  readonly rtcpPackets: number;
}

/** Quality of what a leg's peer sent us (RFC 3550 A.3 loss, A.8 jitter). */
export interface ReceiveQuality {
  readonly expected: number;
  readonly lost: number;
  /** lost / expected, 0 when nothing was expected. */
  readonly lossRatio: number;
  /** Interarrival jitter in seconds. */
  readonly jitterSeconds: number;
  /** E-model (ITU-T G.107, simplified) estimate; undefined before any packet arrived. */
  readonly mos: number | undefined;
}

export interface LegStats {
  readonly realm: MediaRealm;
  readonly received: StreamStats;
  readonly sent: StreamStats;
  readonly quality: ReceiveQuality;
  /** Drops of packets arriving on this leg, by reason. */
  readonly drops: Readonly<Record<MediaDropReason, number>>;
  /** Address:port the leg is latched to, if any packet passed validation yet. */
  readonly latched: string | undefined;
}

export interface SessionStats {
  readonly id: string;
  readonly legs: readonly [LegStats, LegStats];
  /** Milliseconds since the session was allocated. */
  readonly durationMs: number;
}

export type MediaDropReason = 'srtp_auth' | 'replay' | 'unexpected_source' | 'no_session' | 'malformed';

export type MediaEndReason = 'media_timeout' | 'hold_timeout' | 'engine_failure';

export interface MediaEndEvent {
  readonly sessionId: string;
  readonly reason: MediaEndReason;
  /** Final stats; undefined when the engine lost them (worker crash). */
  readonly stats: SessionStats | undefined;
}

/** Errors as values: the caller turns them into a SIP answer (e.g. 503 or 488). */
export type MediaResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: MediaError };

export interface MediaError {
  readonly code: 'ports_exhausted' | 'unknown_session' | 'duplicate_session' | 'bad_request' | 'srtp_unsupported' | 'engine_closed' | 'engine_failure';
  readonly message: string;
}

export interface MediaEngine {
  /** Reserves an RTP/RTCP port pair per leg. */
  allocate(session: SessionSpec): Promise<MediaResult<readonly [LocalEndpoint, LocalEndpoint]>>;
  /** Sets (or replaces, on re-INVITE/UPDATE) the far end of one leg. Resets that leg's latch. */
  update(sessionId: string, legIndex: 0 | 1, remote: RemoteSpec): Promise<MediaResult<void>>;
  /** Records a leg's SDP direction; a session with any leg not sendrecv uses the hold timeout. */
  direction(sessionId: string, legIndex: 0 | 1, direction: MediaDirection): Promise<MediaResult<void>>;
  /** Frees the ports and returns the final stats. */
  delete(sessionId: string): Promise<MediaResult<SessionStats>>;
  stats(sessionId: string): Promise<MediaResult<SessionStats>>;
  /** Called once per session the engine ends by itself (timeout, failure); its ports are already free. */
  onEnd(cb: (event: MediaEndEvent) => void): void;
  /** Ends every session (without end events) and releases workers and sockets. */
  close(): Promise<void>;
}
