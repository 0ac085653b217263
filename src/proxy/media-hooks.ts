// What the proxy core asks of media handling: every SIP body that crosses between
// the realms passes through `process` (which rewrites its SDP in place so media is
// anchored on the relay, or refuses it), and `end` frees a call's media when the call
// is over. The core never looks inside an SDP itself.
import type { RealmName } from '../config/schema.js';
import type { SipMessage } from '../sip/index.js';

export interface MediaContext {
  /** One key per call (per INVITE dialog), the same for every message of that call. */
  readonly key: string;
  /** The realm the message came from and the realm it is about to be sent to. */
  readonly from: RealmName;
  readonly to: RealmName;
  /** The message as it will be sent (already topology-hidden); its body may be replaced with setBody. */
  readonly msg: SipMessage;
  /** The request method, or for a response the method of its CSeq. */
  readonly method: string;
  /** 0 for requests. */
  readonly status: number;
  /** The external trunk of the call, when known (per-trunk SRTP policy). */
  readonly trunk: string | undefined;
}

export type MediaVerdict = { ok: true } | { ok: false; status: number; reason: string };

export interface MediaHooks {
  /** Rewrites the body for the receiving side, or refuses (e.g. 488 when SRTP policy is not met, 503 when no ports are free). */
  process(ctx: MediaContext): MediaVerdict | Promise<MediaVerdict>;
  /** The call is over (ended, failed, cancelled): free its ports. Idempotent. */
  end(key: string): void;
  /** Media on a call stopped (timeout) or failed: the core ends the call with BYE both ways. */
  onEnd(cb: (key: string, reason: string) => void): void;
  close(): Promise<void>;
}

/** Whether a message has a body the media layer must see. */
export function carriesBody(msg: SipMessage): boolean {
  return msg.body.length > 0;
}
