// RFC 3261 basics the parser leaves to the lazy accessors (Kamailio's "sanity"
// module in spirit): a request that fails them is answered here, before it costs
// the core anything. Content-Length, Via, CSeq syntax and Max-Forwards syntax are
// the parser's already.

import type { SipMessage } from '../sip/message.js';
import { reject, type FilterResult } from './types.js';

// Built once: these verdicts are the same for every offender.
const TOO_MANY_HOPS = reject(483, 'too_many_hops');
const BAD_SCHEME = reject(416, 'unsupported_uri_scheme');
const BAD_FROM = reject(400, 'bad_from');
const BAD_TO = reject(400, 'bad_to');
const CSEQ_MISMATCH = reject(400, 'cseq_method_mismatch');

/** RFC 3261 §16.3 (request validation by a proxy) and §8.2.2 (URI schemes). */
export function checkSanity(msg: SipMessage): FilterResult {
  // §16.3 step 3: Max-Forwards 0 must not be forwarded; OPTIONS may be answered by us (§11).
  if (msg.maxForwards() === 0 && msg.method !== 'OPTIONS') return TOO_MANY_HOPS;
  // §16.3 step 2 / §8.2.2.1: only schemes we can route.
  if (msg.requestUri() === undefined) return BAD_SCHEME;
  const from = msg.from();
  if (from === undefined || from.uri === undefined) return BAD_FROM;
  const to = msg.to();
  if (to === undefined || to.uri === undefined) return BAD_TO;
  // §8.1.1.7 / §20.16: the CSeq method names the request (ACK and CANCEL included).
  if (msg.cseq().method !== msg.method) return CSEQ_MISMATCH;
  // §16.3 step 5: we implement no proxy extensions, so any Proxy-Require is unsupported.
  const pr = msg.headerValues('proxy-require');
  if (pr.length > 0) return reject(420, 'bad_extension', [['Unsupported', pr.join(', ')]]);
  return undefined;
}
