// Server transactions (RFC 3261 §17.2, with RFC 6026 §7.1/§8.5–8.7 for INVITE 2xx
// and RFC 4320 §4 for non-INVITE). A class because many thousands live at once:
// they share one method table instead of one closure per method each, and timers
// call module-level functions with the transaction as argument, so no function is
// allocated per retransmission.
import type { Env } from './env.js';
import type {
  SendTarget, ServerState, ServerTransaction, ServerTransactionInit, TerminationReason, TimerHandle,
} from './types.js';

export class ServerTx implements ServerTransaction {
  readonly key: string;
  readonly method: string;
  readonly target: SendTarget;
  readonly invite: boolean;
  state: ServerState;
  /** what a retransmitted request is answered with: last provisional, or the final */
  last: Buffer | undefined = undefined;
  /** Timer G */
  retx: TimerHandle | undefined = undefined;
  /** the one timer that ends the transaction: H, I, J or L */
  end: TimerHandle | undefined = undefined;
  /** current Timer G interval */
  interval = 0;

  constructor(readonly env: Env, init: ServerTransactionInit) {
    this.key = init.key;
    this.method = init.method;
    this.target = init.target;
    this.invite = init.method === 'INVITE';
    // §17.2.1: an INVITE server transaction starts in Proceeding; §17.2.2: others in Trying
    this.state = this.invite ? 'proceeding' : 'trying';
  }

  respond(status: number, bytes: Buffer): boolean {
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        if (status < 200) return provisional(this, status, bytes);
        return this.invite ? inviteFinal(this, status, bytes) : nonInviteFinal(this, status, bytes);
      case 'accepted':
        // RFC 6026 §8.7: the TU (a UAS core, or a proxy forwarding 2xx retransmissions
        // and other forks' 2xx) drives 2xx retransmission; the transaction just sends.
        if (status < 200 || status >= 300) return false;
        if (this.target.send(bytes)) return true;
        // RFC 6026 draws no transport-error exit from Accepted; Timer L still ends it
        this.env.opts.onServerTransportError?.(this.key);
        return false;
      default:
        return false;
    }
  }

  terminate(): void {
    finish(this, 'aborted');
  }
}

function provisional(tx: ServerTx, status: number, bytes: Buffer): boolean {
  // RFC 4320 §4.1 lets a 100 to a non-INVITE go out only late in the transaction;
  // it buys nothing a proxy needs, so it is never sent.
  if (!tx.invite && status === 100) return false;
  if (!send(tx, bytes)) return false;
  tx.state = 'proceeding';
  tx.last = bytes;
  return true;
}

function inviteFinal(tx: ServerTx, status: number, bytes: Buffer): boolean {
  if (!send(tx, bytes)) return false;
  const { d, clock } = tx.env;
  if (status < 300) {
    // RFC 6026 §7.1: Accepted instead of Terminated, so retransmitted INVITEs keep
    // matching (and are absorbed) for as long as the client may retransmit: Timer L.
    tx.state = 'accepted';
    tx.last = undefined;
    tx.end = clock.setTimeout(timerEnd, d.t1x64, tx);
    return true;
  }
  tx.state = 'completed';
  tx.last = bytes;
  if (!tx.target.reliable) {
    tx.interval = d.t1;
    tx.retx = clock.setTimeout(timerG, d.t1, tx);
  }
  // Timer H runs on every transport: it is how long we wait for the ACK
  tx.end = clock.setTimeout(timerH, d.t1x64, tx);
  return true;
}

function nonInviteFinal(tx: ServerTx, status: number, bytes: Buffer): boolean {
  // RFC 4320 §4.2: never send 408 to a non-INVITE; by the time the core gives up,
  // the client has given up too. Completing silently still absorbs retransmissions.
  const silent = status === 408;
  if (!silent && !send(tx, bytes)) return false;
  tx.last = silent ? undefined : bytes;
  complete(tx, tx.env.d.t1x64); // Timer J: 64*T1 on UDP, 0 on reliable
  return !silent;
}

/** Enter Completed (non-INVITE) or Confirmed (INVITE) with a linger timer that is 0 on reliable transports. */
function complete(tx: ServerTx, udpMs: number): void {
  if (tx.target.reliable) {
    finish(tx, 'done');
    return;
  }
  tx.state = tx.invite ? 'confirmed' : 'completed';
  tx.end = tx.env.clock.setTimeout(timerEnd, udpMs, tx);
}

/**
 * A request matching this transaction arrived again. Returns true when absorbed
 * here, false when the core must see it.
 */
export function serverRequest(tx: ServerTx, method: string): boolean {
  if (method === 'ACK') {
    if (!tx.invite) return false;
    if (tx.state === 'completed') {
      // §17.2.1: the ACK stops Timer G and H; Timer I absorbs further ACKs
      clear(tx);
      complete(tx, tx.env.d.t4);
      return true;
    }
    // Confirmed: a retransmitted ACK. Accepted: the 2xx ACK belongs to the core
    // (RFC 6026 §7.1). Proceeding: no final was sent, so it is not ours either.
    return tx.state === 'confirmed';
  }
  switch (tx.state) {
    case 'proceeding':
    case 'completed':
      // §17.2.1, §17.2.2: answer with the latest response; with none (a silent 408), absorb
      if (tx.last !== undefined) send(tx, tx.last);
      return true;
    default:
      // Trying: nothing to say yet. Confirmed: done. Accepted: RFC 6026 §8.7 absorbs.
      return true;
  }
}

function send(tx: ServerTx, bytes: Buffer): boolean {
  if (tx.target.send(bytes)) return true;
  // §17.2.4: a transport failure ends the transaction and is reported to the TU
  finish(tx, 'transport-error');
  tx.env.opts.onServerTransportError?.(tx.key);
  return false;
}

function timerG(tx: ServerTx): void {
  tx.retx = undefined;
  if (tx.state !== 'completed' || tx.last === undefined) return;
  if (!send(tx, tx.last)) return;
  // §17.2.1: doubles from T1 and stays at T2
  tx.interval = Math.min(tx.interval * 2, tx.env.d.t2);
  tx.retx = tx.env.clock.setTimeout(timerG, tx.interval, tx);
}

function timerH(tx: ServerTx): void {
  tx.end = undefined;
  if (tx.state !== 'completed') return;
  finish(tx, 'timeout');
  tx.env.opts.onServerTimeout?.(tx.key);
}

/** Timers I, J and L: the linger after the final is over. */
function timerEnd(tx: ServerTx): void {
  tx.end = undefined;
  finish(tx, 'done');
}

function clear(tx: ServerTx): void {
  const { clock } = tx.env;
  if (tx.retx !== undefined) clock.clearTimeout(tx.retx);
  if (tx.end !== undefined) clock.clearTimeout(tx.end);
  tx.retx = undefined;
  tx.end = undefined;
}

/** Leave the table; the hook runs last so it sees a consistent layer. */
export function finish(tx: ServerTx, reason: TerminationReason): void {
  if (tx.state === 'terminated') return;
  clear(tx);
  tx.state = 'terminated';
  tx.last = undefined;
  const { servers, opts } = tx.env;
  if (servers.get(tx.key) === tx) servers.delete(tx.key);
  opts.onTerminated?.('server', tx.key, reason);
}

/** For stop(): drop timers without hooks. */
export function silence(tx: ServerTx): void {
  clear(tx);
  tx.state = 'terminated';
  tx.last = undefined;
}
