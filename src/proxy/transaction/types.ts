// The types the transaction layer trades in. The layer sees bytes and a few fields
// the proxy core has already extracted (key, method, status); it never parses SIP,
// so it stays cheap and independent of src/sip.

/** RFC 3261 §17.1.1.1 / Table 4 base values, in milliseconds. */
export interface TransactionTimers {
  /** RTT estimate; base of A, B, E, F, G, H, J, L, M. Default 500. */
  readonly t1: number;
  /** cap on the retransmission interval of non-INVITE requests and INVITE finals. Default 4000. */
  readonly t2: number;
  /** how long a message may linger in the network: I and K. Default 5000. */
  readonly t4: number;
  /**
   * RFC 3261 §16.6 step 11 Timer C for INVITE client transactions, > 3 min.
   * Default 180000; 0 turns it off (a UA core that owns its own give-up timer).
   */
  readonly timerC?: number;
}

/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown;

/**
 * Injectable so tests can drive time. The argument is passed through (as Node's
 * setTimeout does) so the layer schedules module-level functions and allocates no
 * closure per retransmission.
 */
export interface Clock {
  setTimeout<A>(fn: (arg: A) => void, ms: number, arg: A): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Where a transaction's messages go. */
export interface SendTarget {
  /** TCP/TLS/WS: no retransmission timers (A, E, G); the linger timers D, I, J, K are 0 (§17). */
  readonly reliable: boolean;
  /** false means the transport failed (§17.1.4, §17.2.4). */
  send(bytes: Buffer): boolean;
}

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';
export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** Why a transaction ended, for the core's bookkeeping and for metrics labels. */
export type TerminationReason =
  /** its linger timer (D, I, J, K, L, M) ran out after a final response: the normal end */
  | 'done'
  /** Timer B, F or H, Timer C without a provisional, or the §9.1 CANCEL guard */
  | 'timeout'
  /** SendTarget.send returned false */
  | 'transport-error'
  /** the core called terminate() */
  | 'aborted';

export interface ServerTransactionInit {
  /** from serverKey() or legacyServerKey() */
  readonly key: string;
  /** the request's method; 'INVITE' selects the INVITE state machine */
  readonly method: string;
  /** where responses go (back to the request's source) */
  readonly target: SendTarget;
}

export interface ServerTransaction {
  readonly key: string;
  readonly method: string;
  readonly state: ServerState;
  /**
   * Send a provisional or final response; the layer keeps what it needs to answer
   * retransmissions. Returns true when bytes went to the transport. Responses the
   * state does not allow (a second final, anything after Completed, a non-2xx in
   * Accepted) are dropped, as are a 100 to a non-INVITE and a 408 to a non-INVITE
   * (RFC 4320 §4.1, §4.2): the latter still completes the transaction, silently.
   */
  respond(status: number, bytes: Buffer): boolean;
  /** Drop the transaction now: timers cleared, entry removed, no further sends. */
  terminate(): void;
}

export interface ClientTransactionInit {
  /** from clientKey(): our branch + method */
  readonly key: string;
  readonly method: string;
  /** the request as it goes on the wire; resent verbatim by Timers A and E */
  readonly request: Buffer;
  readonly target: SendTarget;
  /**
   * Every response the core must see: each provisional, the final once, and for
   * INVITE every 2xx while Accepted (RFC 6026 §8.4: retransmissions and other forks).
   */
  onResponse(status: number, raw: Buffer): void;
  /** Timer B or F (or C with nothing heard, or the §9.1 CANCEL guard): no final came. */
  onTimeout(): void;
  /** send() returned false before a final response arrived. */
  onTransportError?(): void;
  /**
   * INVITE only: the hop-by-hop ACK for a 3xx–6xx final (§17.1.1.3). It is sent at
   * once and again for every retransmission of that final.
   */
  buildAck?(status: number, raw: Buffer): Buffer;
  /**
   * INVITE only: Timer C fired after a provisional (§16.8). The core should send a
   * CANCEL; the transaction then waits 64*T1 for the final (§9.1) before timing out.
   * Absent: Timer C acts as if a 408 arrived (onTimeout).
   */
  onTimerC?(): void;
}

export interface ClientTransaction {
  readonly key: string;
  readonly method: string;
  readonly state: ClientState;
  /**
   * The core sent a CANCEL for this INVITE: per §9.1 the transaction is given up
   * (onTimeout) if no final response arrives within 64*T1.
   */
  cancelSent(): void;
  /** Drop the transaction now: timers cleared, entry removed, no callbacks. */
  terminate(): void;
}

export interface TransactionLayerOptions {
  /** any missing value takes its RFC 3261 default */
  readonly timers?: Partial<TransactionTimers>;
  readonly clock?: Clock;
  /** Timer H fired: the ACK for our non-2xx final never came (§17.2.1). */
  onServerTimeout?(key: string): void;
  /** a response could not be sent by a server transaction. */
  onServerTransportError?(key: string): void;
  /** every transaction that leaves its table, so the core can drop its own state */
  onTerminated?(side: 'server' | 'client', key: string, reason: TerminationReason): void;
}

export interface TransactionLayer {
  /** Throws if the key is taken: the core must try serverRetransmission() first. */
  createServer(init: ServerTransactionInit): ServerTransaction;
  findServer(key: string): ServerTransaction | undefined;
  /**
   * A request whose key matches a live server transaction arrived: a retransmission
   * (answered with the last response, or absorbed) or the ACK for a non-2xx final
   * (Completed → Confirmed). Returns true when the layer consumed it; false when the
   * core must handle it (no transaction, or an ACK that is not ours: RFC 6026 §7.1
   * passes ACKs reaching an Accepted transaction up).
   */
  serverRetransmission(key: string, method: string): boolean;
  /** Sends the request at once and starts the timers. Throws if the key is taken. */
  createClient(init: ClientTransactionInit): ClientTransaction;
  findClient(key: string): ClientTransaction | undefined;
  /**
   * A response arrived for key: drives the state machine and calls onResponse when
   * the core must see it. Returns false when no transaction matches (a stray, which
   * RFC 6026 §7.2 tells a proxy to drop).
   */
  clientResponse(key: string, status: number, raw: Buffer): boolean;
  size(): { server: number; client: number };
  /** Clears every timer and entry without calling any hook: for shutdown. */
  stop(): void;
}
