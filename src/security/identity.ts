// The trunk identity header towards the softswitch. The softswitch trusts it, so a
// copy arriving from outside is a forgery by definition and goes before anything else.

import type { SipMessage } from '../sip/message.js';
import type { Verdict } from './types.js';

/** Removes every line of the identity header (whatever its case or position). */
export function sanitizeIdentityHeader(msg: SipMessage, name: string): void {
  if (msg.has(name)) msg.removeHeader(name);
}

/** Sanitizes, then names the trunk an accept verdict identified (if any). */
export function applyIdentityHeader(msg: SipMessage, name: string, verdict: Verdict): void {
  sanitizeIdentityHeader(msg, name);
  if (verdict.action === 'accept' && verdict.trunk !== undefined) msg.setHeader(name, verdict.trunk);
}
