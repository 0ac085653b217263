// Building a response to a request (RFC 3261 §8.2.6, §16.7 for proxies' own replies).

import { randomBytes } from 'node:crypto';
import type { SipMessage } from './message.js';
import { parseNameAddr } from './nameaddr.js';

export interface ResponseOptions {
  /** To tag to add when the request's To has none. Without it a random one is made for status > 100. */
  toTag?: string;
  /** Extra headers, in order, after the copied ones. */
  headers?: Array<[string, string]>;
  body?: Buffer;
  contentType?: string;
}

/** Random To tag: 48 bits is plenty for uniqueness within a dialog's lifetime (RFC 3261 §19.3 asks for 32). */
export function makeTag(): string {
  return randomBytes(6).toString('hex');
}

/**
 * RFC 3261 §8.2.6.2: copies every Via (in order, one line each as received),
 * From, To (adding a tag when absent), Call-ID and CSeq; §8.2.6.1: a 100 copies
 * Timestamp. Content-Length is always written. Works on a `partial` message.
 */
export function buildResponse(req: SipMessage, status: number, reason: string, opts: ResponseOptions = {}): Buffer {
  let out = `SIP/2.0 ${status} ${reason.replace(/[\r\n]/g, ' ')}\r\n`;
  for (const v of req.headerLines('via')) out += `Via: ${v}\r\n`;
  const from = req.header('from');
  if (from !== undefined) out += `From: ${from}\r\n`;
  const to = req.header('to');
  if (to !== undefined) {
    let t = to;
    const na = parseNameAddr(to);
    const hasTag = na !== undefined ? na.tag !== undefined : /;\s*tag\s*=/i.test(to);
    if (!hasTag && (opts.toTag !== undefined || status > 100)) t += `;tag=${opts.toTag ?? makeTag()}`;
    out += `To: ${t}\r\n`;
  }
  const callId = req.header('call-id');
  if (callId !== undefined) out += `Call-ID: ${callId}\r\n`;
  const cseq = req.header('cseq');
  if (cseq !== undefined) out += `CSeq: ${cseq}\r\n`;
  if (status === 100) {
    const ts = req.header('timestamp');
    if (ts !== undefined) out += `Timestamp: ${ts}\r\n`;
  }
  for (const [n, v] of opts.headers ?? []) out += `${n}: ${v}\r\n`;
  const body = opts.body ?? Buffer.alloc(0);
  if (opts.contentType !== undefined) out += `Content-Type: ${opts.contentType}\r\n`;
  out += `Content-Length: ${body.length}\r\n\r\n`;
  const headBuf = Buffer.from(out, 'utf8');
  return body.length === 0 ? headBuf : Buffer.concat([headBuf, body]);
}
