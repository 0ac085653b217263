// Options of the in-process relay and the messages its main thread and workers
// trade. Everything crossing postMessage is plain data (structured clone).
import type { LegSpec, LocalEndpoint, MediaDirection, MediaEndReason, MediaError, MediaRealm, RemoteSpec, SessionStats } from '../engine.js';

export type LatchPolicy = 'signaled' | 'any';

export interface RelayRealmOptions {
  /** Local IP the realm's media sockets bind to. */
  readonly address: string;
  /** Address written into SDP, when it differs (1:1 NAT). */
  readonly advertise?: string;
}

export interface RelayOptions {
  /** Inclusive; portMin is rounded up to even, so pairs are (even RTP, odd RTCP). */
  readonly portMin: number;
  readonly portMax: number;
  /** Worker threads; 0 means one per available core. */
  readonly workers: number;
  readonly timeoutMs: number;
  readonly holdTimeoutMs: number;
  /** signaled: latch only a source whose IP is the one in SDP; any: the first source, whatever it is. */
  readonly latching: LatchPolicy;
  /** A latched leg silent this long may latch a new source. */
  readonly relatchAfterMs: number;
  /** How often workers check timeouts and push their counters to the main thread. */
  readonly tickMs: number;
  readonly realms: Readonly<Record<MediaRealm, RelayRealmOptions>>;
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  portMin: 20000,
  portMax: 29999,
  workers: 0,
  timeoutMs: 60_000,
  holdTimeoutMs: 3_600_000,
  latching: 'signaled',
  relatchAfterMs: 2_000,
  tickMs: 1_000,
  realms: { external: { address: '127.0.0.1' }, internal: { address: '127.0.0.1' } },
};

/** What one worker is told at start: its slice of the port range and the policies. */
export interface WorkerInit {
  readonly index: number;
  /** First even RTP port of the slice and how many pairs it holds. */
  readonly firstPort: number;
  readonly pairs: number;
  readonly timeoutMs: number;
  readonly holdTimeoutMs: number;
  readonly latching: LatchPolicy;
  readonly relatchAfterMs: number;
  readonly tickMs: number;
}

/** Resolved leg as the worker needs it (the main thread fills in the realm's address). */
export interface WorkerLeg extends LegSpec {
  readonly address: string;
  readonly advertise: string;
}

export type Request =
  | { readonly op: 'allocate'; readonly id: string; readonly legs: readonly [WorkerLeg, WorkerLeg] }
  | { readonly op: 'update'; readonly id: string; readonly leg: 0 | 1; readonly remote: RemoteSpec }
  | { readonly op: 'direction'; readonly id: string; readonly leg: 0 | 1; readonly direction: MediaDirection }
  | { readonly op: 'delete'; readonly id: string }
  | { readonly op: 'stats'; readonly id: string }
  | { readonly op: 'close' };

export type ReplyValue = readonly [LocalEndpoint, LocalEndpoint] | SessionStats | undefined;

/** Main → worker envelope; `seq` pairs a reply with its request. */
export interface RequestMessage {
  readonly seq: number;
  readonly req: Request;
}

/** Counters a worker accumulated since its last report; the main thread adds them to metrics. */
export interface CounterDelta {
  /** key `${direction}:${realm}` → packets */
  readonly packets: Record<string, number>;
  /** reason → drops */
  readonly drops: Record<string, number>;
}

export type WorkerMessage =
  | { readonly type: 'reply'; readonly seq: number; readonly ok: true; readonly value: ReplyValue; readonly freePairs: number }
  | { readonly type: 'reply'; readonly seq: number; readonly ok: false; readonly error: MediaError; readonly freePairs: number }
  | { readonly type: 'ended'; readonly id: string; readonly reason: MediaEndReason; readonly stats: SessionStats; readonly freePairs: number }
  | { readonly type: 'tick'; readonly counters: CounterDelta; readonly freePairs: number; readonly sessions: number };
