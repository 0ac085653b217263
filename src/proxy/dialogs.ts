// Dialog state: what Palisade needs to route every in-dialog request whichever side
// sends it, and to end the call itself when nobody else does. A dialog has two legs,
// one per realm; each is found by the Call-ID as that side knows it.
import type { RealmName } from '../config/schema.js';
import type { Destination } from '../transport/types.js';
import type { Transport } from '../config/schema.js';

/** How to reach one side: a listener of its realm and the remote address (and connection). */
export interface Flow extends Destination {
  readonly transport: Transport;
}

export interface Leg {
  readonly realm: RealmName;
  /** The Call-ID as this side knows it. */
  readonly callId: string;
  /** Request-URI for requests to this side: its Contact. */
  remoteTarget: string;
  /** Route values for requests to this side (its Record-Route, in the order to use). */
  routeSet: string[];
  flow: Flow;
  /** Our Contact as presented to this side. */
  readonly contact: string;
  /** Highest CSeq sequence number of requests sent to this side. */
  cseqToLeg: number;
  /** CSeq numbers sent to this side = numbers received from the other side + offset (our own auth retries add to it). */
  cseqOffset: number;
}

export interface Dialog {
  readonly id: string;
  readonly direction: 'origination' | 'termination';
  readonly trunk: string | undefined;
  /** The side that sent the initial request. */
  readonly caller: Leg;
  readonly callee: Leg;
  /** The caller's and the callee's From/To values (without tags) as each realm knows them. */
  readonly callerId: Record<RealmName, string>;
  readonly calleeId: Record<RealmName, string>;
  readonly callerTag: string;
  calleeTag: string;
  state: 'early' | 'confirmed';
  readonly createdAt: number;
  lastActivity: number;
  /** An INVITE dialog (a call), as opposed to a subscription. */
  readonly call: boolean;
  /** The call's media session (relay), when media is anchored. */
  readonly mediaKey?: string;
  /** Frees the call's admission slot (security pipeline) when the dialog goes. */
  release?: () => void;
  /** Session-Expires in ms when negotiated (RFC 4028), refreshes the idle limit. */
  sessionExpiresMs: number | undefined;
}

export interface DialogTable {
  add(d: Dialog): void;
  find(realm: RealmName, callId: string): Dialog | undefined;
  remove(d: Dialog): void;
  size(): number;
  /** Dialogs idle past their limit, removed from the table; the caller sends the BYEs. */
  sweep(now: number): Dialog[];
  all(): IterableIterator<Dialog>;
  clear(): void;
}

export function legOf(d: Dialog, realm: RealmName): { from: Leg; to: Leg } {
  return d.caller.realm === realm ? { from: d.caller, to: d.callee } : { from: d.callee, to: d.caller };
}

export function createDialogTable(idleMs: number): DialogTable {
  const byId = new Map<string, Dialog>();
  const byCall = new Map<string, Dialog>();
  const key = (realm: RealmName, callId: string) => `${realm === 'external' ? 'e' : 'i'}|${callId}`;
  return {
    add(d) {
      byId.set(d.id, d);
      byCall.set(key(d.caller.realm, d.caller.callId), d);
      byCall.set(key(d.callee.realm, d.callee.callId), d);
    },
    find: (realm, callId) => byCall.get(key(realm, callId)),
    remove(d) {
      if (byId.get(d.id) !== d) return;
      byId.delete(d.id);
      byCall.delete(key(d.caller.realm, d.caller.callId));
      byCall.delete(key(d.callee.realm, d.callee.callId));
    },
    size: () => byId.size,
    sweep(now) {
      const dead: Dialog[] = [];
      for (const d of byId.values()) {
        // RFC 4028 §10: without a refresh the session ends after the interval; allow a
        // third of it (at most 32 s) for the refresh to arrive, as the RFC's BYE rule does.
        const limit = d.sessionExpiresMs !== undefined ? d.sessionExpiresMs + Math.min(32_000, d.sessionExpiresMs / 3) : idleMs;
        if (now - d.lastActivity > limit) dead.push(d);
      }
      for (const d of dead) this.remove(d);
      return dead;
    },
    all: () => byId.values(),
    clear() {
      byId.clear();
      byCall.clear();
    },
  };
}
