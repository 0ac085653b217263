// The vocabulary of the edge security pipeline: what a filter is given, what it
// answers, and what the pipeline needs from the rest of the process.

import type { RealmName, Transport } from '../config/schema.js';
import type { Store } from '../state/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Logger } from '../observability/logger.js';

/**
 * Where a packet came from. Structural on purpose: the transport's `Source` fits
 * as it is, so the hot path never builds an object just to ask a question.
 */
export interface PacketSource {
  readonly remoteAddress: string;
  readonly remotePort?: number;
  readonly transport: Transport;
  readonly realm: RealmName;
  /** tls only: the verified peer certificate's subject, if any (node:tls PeerCertificate fits). */
  readonly peerCertificate?: { readonly subject?: Readonly<Record<string, string | string[] | undefined>> } | undefined;
  readonly peerAuthorized?: boolean;
}

export interface Accept {
  readonly action: 'accept';
  /** the trunk the request belongs to (IP match, TLS subject or digest user) */
  readonly trunk?: string;
  /** the digest username, when digest authentication identified the caller */
  readonly username?: string;
  /**
   * Set on an admitted new INVITE: call exactly once when the call ends or the INVITE
   * fails, so the trunk's concurrent-call count comes down. Idempotent.
   */
  readonly release?: () => void;
}

export interface Reject {
  readonly action: 'reject';
  readonly code: number;
  /** metric label, snake_case, from a fixed set */
  readonly reason: string;
  /** extra header lines for the response (Retry-After, WWW-Authenticate …), in order */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

export interface Drop {
  readonly action: 'drop';
  readonly reason: string;
}

export type Verdict = Accept | Reject | Drop;

/** What every filter of `check` returns: undefined means "no objection, next filter". */
export type FilterResult = Reject | Drop | undefined;

export interface SecurityDeps {
  store: Store;
  metrics: Metrics;
  logger: Logger;
  /** epoch ms; injected by tests */
  now?: () => number;
  /**
   * Event-loop lag in ms, read per new INVITE. Default: a perf_hooks
   * monitorEventLoopDelay histogram (p99 over the last half second).
   */
  lag?: () => number;
  /** name of this instance, stamped on bans it makes */
  instance?: string;
}

// Constant verdicts: the hot paths return these instead of allocating.
export const ACCEPT: Accept = Object.freeze({ action: 'accept' });

export function reject(code: number, reason: string, headers?: ReadonlyArray<readonly [string, string]>): Reject {
  return headers === undefined ? { action: 'reject', code, reason } : { action: 'reject', code, reason, headers };
}

export function drop(reason: string): Drop {
  return { action: 'drop', reason };
}
