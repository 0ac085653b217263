// Client transactions (RFC 3261 §17.1, with RFC 6026 §7.2/§8.4 for INVITE 2xx and
// §16.6 step 11 / §16.8 Timer C for a proxy's INVITE branches). Same shape as
// server.ts: a class for a shared method table, module-level timer functions that
// get the transaction as their argument.
import type { Env } from './env.js';
import type {
  ClientState, ClientTransaction, ClientTransactionInit, TerminationReason, TimerHandle,
} from './types.js';

export class ClientTx implements ClientTransaction {
  readonly key: string;
  readonly method: string;
  readonly invite: boolean;
  state: ClientState;
  /** the ACK for our non-2xx final, resent for each retransmission of it */
  ack: Buffer | undefined = undefined;
  /** Timer A or E */
  retx: TimerHandle | undefined = undefined;
  /** B or F while waiting, then D, K or M */
  end: TimerHandle | undefined = undefined;
  /** Timer C, or the §9.1 guard once a CANCEL is out */
  c: TimerHandle | undefined = undefined;
  /** true once `c` holds the §9.1 guard rather than Timer C */
  guarding = false;
  /** current Timer A/E interval */
  interval = 0;

  constructor(readonly env: Env, readonly init: ClientTransactionInit) {
    this.key = init.key;
    this.method = init.method;
    this.invite = init.method === 'INVITE';
    this.state = this.invite ? 'calling' : 'trying';
  }

  cancelSent(): void {
    if (!this.invite || this.guarding || !waiting(this)) return;
    startGuard(this);
  }

  terminate(): void {
    finish(this, 'aborted');
  }
}

function waiting(tx: ClientTx): boolean {
  return tx.state === 'calling' || tx.state === 'trying' || tx.state === 'proceeding';
}

/** Called once the transaction is in its table: sends the request and starts A/E, B/F, C. */
export function startClient(tx: ClientTx): void {
  const { d, clock } = tx.env;
  if (!tx.init.target.reliable) {
    tx.interval = d.t1;
    tx.retx = clock.setTimeout(tx.invite ? timerA : timerE, d.t1, tx);
  }
  tx.end = clock.setTimeout(timeoutBF, d.t1x64, tx);
  if (tx.invite && d.c > 0) tx.c = clock.setTimeout(timerC, d.c, tx);
  resend(tx, tx.init.request);
}

/** A response matched this transaction. */
export function clientResponse(tx: ClientTx, status: number, raw: Buffer): void {
  if (tx.invite) inviteResponse(tx, status, raw);
  else nonInviteResponse(tx, status, raw);
}

function inviteResponse(tx: ClientTx, status: number, raw: Buffer): void {
  const { d, clock } = tx.env;
  switch (tx.state) {
    case 'calling':
    case 'proceeding':
      break;
    case 'completed':
      // §17.1.1.2: a retransmitted final is answered with the same ACK, not passed up
      if (status >= 300 && tx.ack !== undefined) resend(tx, tx.ack);
      return;
    case 'accepted':
      // RFC 6026 §8.4: every 2xx (retransmissions, other forks) goes up; the core ACKs
      if (status >= 200 && status < 300) tx.init.onResponse(status, raw);
      return;
    default:
      return;
  }
  if (status < 200) {
    if (tx.state === 'calling') {
      // §17.1.1.2: a provisional stops retransmissions and Timer B
      tx.state = 'proceeding';
      stop(tx, 'retx');
      stop(tx, 'end');
    }
    // §16.7 step 2: 101–199 restart Timer C; a 100 says only that the next hop is alive
    if (status > 100 && tx.c !== undefined && !tx.guarding) {
      clock.clearTimeout(tx.c);
      tx.c = clock.setTimeout(timerC, d.c, tx);
    }
    tx.init.onResponse(status, raw);
    return;
  }
  if (status < 300) {
    // RFC 6026 §7.2: Accepted for Timer M, so 2xx retransmissions and forked 2xx still match
    stopAll(tx);
    tx.state = 'accepted';
    tx.end = clock.setTimeout(lingerEnd, d.t1x64, tx);
    tx.init.onResponse(status, raw);
    return;
  }
  // §17.1.1.3: the transaction itself ACKs a non-2xx final, hop by hop
  const ack = tx.init.buildAck?.(status, raw);
  stopAll(tx);
  tx.ack = ack;
  if (tx.init.target.reliable) finish(tx, 'done'); // Timer D = 0
  else {
    tx.state = 'completed';
    tx.end = clock.setTimeout(lingerEnd, d.dUdp, tx);
  }
  if (ack !== undefined) resend(tx, ack);
  tx.init.onResponse(status, raw);
}

function nonInviteResponse(tx: ClientTx, status: number, raw: Buffer): void {
  if (tx.state !== 'trying' && tx.state !== 'proceeding') return; // Completed absorbs (§17.1.2.2)
  if (status < 200) {
    // Timer E keeps running; from its next firing on it uses T2 (§17.1.2.2)
    tx.state = 'proceeding';
    tx.init.onResponse(status, raw);
    return;
  }
  stopAll(tx);
  if (tx.init.target.reliable) finish(tx, 'done'); // Timer K = 0
  else {
    tx.state = 'completed';
    tx.end = tx.env.clock.setTimeout(lingerEnd, tx.env.d.t4, tx);
  }
  tx.init.onResponse(status, raw);
}

/**
 * Send on this transaction's target. A failure before any final ends the
 * transaction and tells the core (§17.1.4); after a final (an ACK that would not go
 * out) the core already has its answer, so the transaction just ends.
 */
function resend(tx: ClientTx, bytes: Buffer): boolean {
  if (tx.init.target.send(bytes)) return true;
  const tell = waiting(tx);
  finish(tx, 'transport-error');
  if (tell) tx.init.onTransportError?.();
  return false;
}

function timerA(tx: ClientTx): void {
  tx.retx = undefined;
  if (tx.state !== 'calling') return;
  if (!resend(tx, tx.init.request)) return;
  // §17.1.1.2: Timer A doubles without a cap; Timer B ends it
  tx.interval *= 2;
  tx.retx = tx.env.clock.setTimeout(timerA, tx.interval, tx);
}

function timerE(tx: ClientTx): void {
  tx.retx = undefined;
  if (tx.state !== 'trying' && tx.state !== 'proceeding') return;
  if (!resend(tx, tx.init.request)) return;
  // §17.1.2.2: doubling capped at T2 while Trying; T2 flat once Proceeding
  const { t2 } = tx.env.d;
  tx.interval = tx.state === 'proceeding' ? t2 : Math.min(tx.interval * 2, t2);
  tx.retx = tx.env.clock.setTimeout(timerE, tx.interval, tx);
}

/** Timer B (INVITE, Calling only) or F (non-INVITE, Trying or Proceeding). */
function timeoutBF(tx: ClientTx): void {
  tx.end = undefined;
  if (!waiting(tx)) return;
  giveUp(tx);
}

function timerC(tx: ClientTx): void {
  tx.c = undefined;
  if (!waiting(tx)) return;
  const onTimerC = tx.init.onTimerC;
  // §16.8: with a provisional in hand the proxy CANCELs; without, it is a 408
  if (tx.state === 'proceeding' && onTimerC !== undefined) {
    startGuard(tx);
    onTimerC();
    return;
  }
  giveUp(tx);
}

/** §9.1: after a CANCEL, wait 64*T1 for the final, then consider the INVITE cancelled. */
function startGuard(tx: ClientTx): void {
  stop(tx, 'c');
  tx.guarding = true;
  tx.c = tx.env.clock.setTimeout(guardExpired, tx.env.d.t1x64, tx);
}

function guardExpired(tx: ClientTx): void {
  tx.c = undefined;
  if (waiting(tx)) giveUp(tx);
}

function giveUp(tx: ClientTx): void {
  finish(tx, 'timeout');
  tx.init.onTimeout();
}

/** Timers D, K and M. */
function lingerEnd(tx: ClientTx): void {
  tx.end = undefined;
  finish(tx, 'done');
}

function stop(tx: ClientTx, slot: 'retx' | 'end' | 'c'): void {
  const h = tx[slot];
  if (h !== undefined) {
    tx.env.clock.clearTimeout(h);
    tx[slot] = undefined;
  }
}

function stopAll(tx: ClientTx): void {
  stop(tx, 'retx');
  stop(tx, 'end');
  stop(tx, 'c');
}

/** Leave the table; the hook runs last so it sees a consistent layer. */
export function finish(tx: ClientTx, reason: TerminationReason): void {
  if (tx.state === 'terminated') return;
  stopAll(tx);
  tx.state = 'terminated';
  tx.ack = undefined;
  const { clients, opts } = tx.env;
  if (clients.get(tx.key) === tx) clients.delete(tx.key);
  opts.onTerminated?.('client', tx.key, reason);
}

/** For stop(): drop timers without hooks. */
export function silence(tx: ClientTx): void {
  stopAll(tx);
  tx.state = 'terminated';
  tx.ack = undefined;
}
