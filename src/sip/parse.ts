// Bytes → SipMessage (RFC 3261 §7, §18.3, §25). One linear pass over the head
// records line offsets; only what every message needs checked is decoded here
// (start line, Via, CSeq, Max-Forwards, Content-Length). Never throws.

import { isAscii } from 'node:buffer';
import { TOKEN, parseDigits, isWs } from './chars.js';
import {
  H_CONTENT_LENGTH, H_CSEQ, H_MAX_FORWARDS, H_VIA, KNOWN_IDS, NAME_AT, NAME_BYTES, NAME_CANON, NAME_HASH, NAME_ID, NAME_MASK, NAME_SLOTS, NAME_SPELLED,
  canonicalName, listElementEndB, splitList,
} from './headers.js';
import { resolveLimits, type SipLimits } from './limits.js';
import { MessageView, topLevelComma, type SipMessage } from './message.js';
import { parseCSeq, parseCSeqRange } from './cseq.js';
import { parseVia, parseViaBytes, type Via } from './via.js';
import { parseNameAddr } from './nameaddr.js';
import { parseUri, schemeEnd } from './uri.js';

export interface ParseOptions {
  /** Stream transport (TCP/TLS/WS): the framer already cut at Content-Length, which must be present. */
  stream?: boolean;
  limits?: Partial<SipLimits>;
  /**
   * Also validate From, To, Contact and a sip/sips/tel Request-URI. The default
   * leaves them to the lazy accessors, which return undefined when malformed.
   */
  strict?: boolean;
}

/** Metric labels: snake_case, a fixed set. */
export type ParseErrorReason =
  | 'empty'
  | 'too_large'
  | 'incomplete'
  | 'too_many_headers'
  | 'header_too_long'
  | 'too_many_vias'
  | 'uri_too_long'
  | 'bad_start_line'
  | 'bad_version'
  | 'bad_header'
  | 'duplicate_header'
  | 'missing_header'
  | 'bad_cseq'
  | 'cseq_method_mismatch'
  | 'bad_content_length'
  | 'body_truncated'
  | 'bad_uri'
  | 'bad_via'
  | 'bad_max_forwards'
  | 'bad_binary';

export const PARSE_ERROR_REASONS: readonly ParseErrorReason[] = [
  'empty', 'too_large', 'incomplete', 'too_many_headers', 'header_too_long', 'too_many_vias',
  'uri_too_long', 'bad_start_line', 'bad_version', 'bad_header', 'duplicate_header', 'missing_header',
  'bad_cseq', 'cseq_method_mismatch', 'bad_content_length', 'body_truncated', 'bad_uri', 'bad_via',
  'bad_max_forwards', 'bad_binary',
];

export type ParseResult =
  | { ok: true; message: SipMessage }
  | { ok: false; reason: ParseErrorReason; detail: string; canReply: boolean; partial?: SipMessage };


function fail(reason: ParseErrorReason, detail: string, partial?: MessageView): ParseResult {
  if (partial === undefined) return { ok: false, reason, detail, canReply: false };
  return { ok: false, reason, detail, canReply: canReply(partial), partial };
}

/** A 400-class reply needs a request (never ACK) whose Via, From, To, Call-ID and CSeq are there. */
function canReply(m: MessageView): boolean {
  if (m.kind !== 'request' || m.method === 'ACK') return false;
  // From, To, Call-ID, CSeq: ids 2..5 (a second copy is already a duplicate_header, still replyable).
  for (let id = 2; id <= 5; id++) if (m.idx[id]! < 0) return false;
  const top = m.header('via');
  return top !== undefined && parseVia(top) !== undefined;
}

/** Shortens attacker-controlled text quoted in a detail string. */
function show(s: string): string {
  const t = s.length > 60 ? s.slice(0, 60) + '…' : s;
  return JSON.stringify(t);
}

export function parseMessage(buf: Buffer, opts?: ParseOptions): ParseResult {
  const stream = opts?.stream === true;
  const limits = resolveLimits(stream, opts?.limits);
  const len = buf.length;

  // RFC 3261 §7.5: CRLFs before the start line are ignored (also keepalives on streams).
  let start = 0;
  while (start < len && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  if (start === len) return fail('empty', 'no bytes besides line breaks');
  const b0 = buf[start]!;
  if (b0 < 0x21 || b0 > 0x7e) return fail('bad_binary', `first byte 0x${b0.toString(16)} is not text (STUN, TLS or RTP on a SIP port?)`);

  // latin1: one char per byte, so string offsets are byte offsets and slices
  // of `buf` line up. An oversized message is still scanned within the limit
  // so a 413 can be sent back.
  const tooLarge = len > limits.maxMessageBytes;
  // latin1Slice directly: Buffer#toString's argument handling costs as much as the copy.
  const s = (buf as LatinBuffer).latin1Slice(0, tooLarge ? start + limits.maxMessageBytes : len);
  const sn = s.length;
  const m = new MessageView(buf, s, start);
  const incomplete = (): ParseResult =>
    tooLarge ? fail('too_large', `${len} bytes exceeds ${limits.maxMessageBytes}`) : fail('incomplete', 'no empty line ends the header section');

  // ---- start line ----
  const slf = s.indexOf('\n', start);
  if (slf < 0) return incomplete();
  const sle = slf - 1;
  if (sle - start > limits.maxHeaderLineBytes) return fail('header_too_long', `start line of ${sle - start} bytes`);
  if (s.charCodeAt(sle) !== 0x0d || s.indexOf('\r', start) !== sle) return fail('bad_start_line', 'start line not ended by CRLF, or bare CR in it');
  m.startLineEnd = sle;
  // One native pass (simdutf) tells whether any byte has bit 7 set; only then
  // does each line OR its bytes to flag values that need UTF-8 decoding.
  const ascii = isAscii(buf);
  const sl = startLine(m, s, start, sle, limits, ascii);
  if (sl !== undefined && sl.reason !== 'bad_version' && sl.reason !== 'bad_uri' && sl.reason !== 'uri_too_long') {
    return fail(sl.reason, sl.detail);
  }

  // ---- header lines: one pass, offsets only ----
  const names = m.names;
  const offs = m.offs;
  const idx = m.idx;
  const maxLine = limits.maxHeaderLineBytes;
  const maxHeaders = limits.maxHeaders;
  let pos = slf + 1;
  let dup = 0; // id of a once-only header seen twice
  let count = 0;
  for (;;) {
    if (pos >= sn) return incomplete();
    const c0 = buf[pos]!;
    if (c0 === 0x0d) {
      if (buf[pos + 1]! !== 0x0a) return fail('bad_header', 'bare CR at the start of a line');
      break; // the empty line: end of the header section
    }
    if (c0 === 0x20 || c0 === 0x09) return fail('bad_header', 'continuation line with no header before it');
    let i = pos;
    let h = 0;
    while (i < sn) {
      const c = buf[i]!;
      if (TOKEN[c] !== 1) break;
      h = (Math.imul(h, 31) + (c >= 0x41 && c <= 0x5a ? c | 0x20 : c)) | 0;
      i++;
    }
    const nameEnd = i;
    while (i < sn && isWs(buf[i]!)) i++;
    if (nameEnd === pos || buf[i]! !== 0x3a) {
      if (i >= sn) return incomplete();
      const eol = s.indexOf('\r', pos);
      return fail('bad_header', `not a header line: ${show(s.slice(pos, eol < 0 ? Math.min(sn, pos + 80) : eol))}`);
    }
    const vs = i + 1;
    let folded = 0;
    let lf: number;
    // Each physical line must end in CRLF: a lone CR or LF would let a
    // downstream parser see other headers than we do. String#indexOf is a
    // native memchr, several times faster than a byte loop in JS; the two
    // searches per line both stop at this line's CRLF, so the scan stays linear.
    let from = vs;
    for (;;) {
      const cr = s.indexOf('\r', from);
      const nl = s.indexOf('\n', from);
      if (cr < 0 && nl < 0) {
        if (sn - pos > maxLine) return fail('header_too_long', `header of more than ${maxLine} bytes`);
        return incomplete();
      }
      if (cr < 0 || (nl >= 0 && nl < cr)) {
        if (nl + 1 >= sn) return incomplete();
        return fail('bad_header', 'bare CR or LF in a header line');
      }
      if (cr + 1 >= sn) return incomplete();
      if (nl !== cr + 1) return fail('bad_header', 'bare CR or LF in a header line');
      lf = nl;
      const nx = buf[lf + 1]!;
      if (nx !== 0x20 && nx !== 0x09) break;
      folded = 1;
      from = lf + 1;
    }
    const e = lf - 1;
    if (e - pos > maxLine) return fail('header_too_long', `header of ${e - pos} bytes`);
    if (count >= maxHeaders) return fail('too_many_headers', `more than ${maxHeaders} header lines`);
    let high = 0; // bit 7 set: non-ASCII, decoded as UTF-8 on access
    if (!ascii) for (let j = vs; j < e; j++) high |= buf[j]!;

    let canon: string | undefined;
    let id = 0;
    let slot = (h ^ (h >>> 9)) & NAME_MASK;
    for (;;) {
      const x = NAME_SLOTS[slot]!;
      if (x === 0) break;
      if (NAME_HASH[x - 1] === h && sameLower(buf, pos, nameEnd, NAME_AT[x - 1]!, NAME_SPELLED[x - 1]!.length)) {
        canon = NAME_CANON[x - 1]!;
        id = NAME_ID[x - 1]!;
        break;
      }
      slot = (slot + 1) & NAME_MASK;
    }
    if (canon === undefined) canon = canonicalName(s.slice(pos, nameEnd));
    if (id !== 0) {
      if (idx[id]! < 0) idx[id] = count;
      else if (id < KNOWN_IDS && id !== H_VIA) dup = id;
    }
    names.push(canon);
    const o = count * 4;
    offs[o] = pos;
    offs[o + 1] = vs;
    offs[o + 2] = e;
    offs[o + 3] = folded | (high & 0x80 ? 2 : 0);
    count++;
    pos = lf + 1;
  }
  const blank = pos; // the CRLF of the empty line
  m.bodyStart = blank + 2;
  m.bodyEnd = len;

  // From here on a partial view exists, so failures can carry it for a reply.
  if (tooLarge) return fail('too_large', `${len} bytes exceeds ${limits.maxMessageBytes}`, m);
  if (sl !== undefined) return fail(sl.reason, sl.detail, m);
  if (dup === H_CONTENT_LENGTH) return fail('bad_content_length', 'more than one Content-Length', m);
  if (dup !== 0) return fail('duplicate_header', `more than one ${names[idx[dup]!]}`, m);
  for (let id = H_VIA; id <= H_CSEQ; id++) {
    if (idx[id]! < 0) return fail('missing_header', `no ${MANDATORY_NAMES[id]} header`, m);
  }

  // ---- Via: every value is checked, because responses are routed by them ----
  const maxVias = limits.maxVias;
  let vias = fastVias(m, s, count, maxVias);
  if (vias === undefined) {
    // Something unusual (a fold, non-ASCII, a malformed value, too many):
    // the string path finds the fault and words it.
    vias = [];
    const values: string[] = [];
    for (let k = idx[H_VIA]!; k < count; k++) {
      if (names[k] !== 'via') continue;
      const v0 = m.parsedValue(k);
      values.length = 0;
      if (topLevelComma(v0) < 0) values.push(v0);
      else splitList(v0, values);
      if (values.length === 0) return fail('bad_via', 'empty Via', m);
      for (const v of values) {
        if (vias.length >= maxVias) return fail('too_many_vias', `more than ${maxVias} Via values`, m);
        const p = parseVia(v);
        if (p === undefined) return fail('bad_via', `malformed Via ${show(v)}`, m);
        vias.push(p);
      }
    }
  }
  m._vias = vias;

  // ---- CSeq ----
  const kc = idx[H_CSEQ]!;
  const cseq = offs[kc * 4 + 3] === 0 ? parseCSeqRange(s, offs[kc * 4 + 1]!, offs[kc * 4 + 2]!, m.method) : parseCSeq(m.parsedValue(kc));
  if (cseq === undefined) return fail('bad_cseq', `malformed CSeq ${show(m.parsedValue(kc))}`, m);
  m._cseq = cseq;
  if (m.kind === 'request' && cseq.method !== m.method) {
    return fail('cseq_method_mismatch', `CSeq method ${show(cseq.method)} is not the request method ${show(m.method)}`, m);
  }

  // ---- Max-Forwards (RFC 3261 §20.22: 0..255; absent is tolerated as 70) ----
  const kmf = idx[H_MAX_FORWARDS]!;
  if (kmf >= 0) {
    const mf = numberValue(m, s, kmf, 255);
    if (mf < 0) {
      m._maxForwards = -1;
      return fail('bad_max_forwards', `Max-Forwards ${show(m.parsedValue(kmf))}`, m);
    }
    m._maxForwards = mf;
  }

  // ---- Content-Length and body (RFC 3261 §18.3, §20.14) ----
  const avail = len - m.bodyStart;
  const kcl = idx[H_CONTENT_LENGTH]!;
  if (kcl < 0) {
    if (stream) return fail('missing_header', 'no Content-Length on a stream transport', m);
  } else {
    const cl = numberValue(m, s, kcl, 2 ** 31 - 1);
    if (cl < 0) return fail('bad_content_length', `Content-Length ${show(m.parsedValue(kcl))}`, m);
    if (cl > avail) return fail('body_truncated', `Content-Length ${cl} but ${avail} body bytes`, m);
    m.bodyEnd = m.bodyStart + cl; // bytes after the body are discarded (datagram) or belong to the framer (stream)
  }

  if (opts?.strict === true) {
    const bad = strictCheck(m);
    if (bad !== undefined) return fail(bad[0], bad[1], m);
  }
  return { ok: true, message: m };
}

/** Node's Buffer has latin1Slice (what toString('latin1') calls); not in @types/node. */
type LatinBuffer = Buffer & { latin1Slice(start: number, end: number): string };

const MANDATORY_NAMES = ['', 'Via', 'From', 'To', 'Call-ID', 'CSeq'];

/** 1*DIGIT header value of parsed line k, at most max; -1 when malformed. */
function numberValue(m: MessageView, s: string, k: number, max: number): number {
  const o = k * 4;
  if (m.offs[o + 3] !== 0) {
    const raw = m.parsedValue(k);
    return parseDigits(raw, 0, raw.length, max);
  }
  let a = m.offs[o + 1]!;
  let b = m.offs[o + 2]!;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return parseDigits(s, a, b, max);
}

/**
 * Every Via value parsed straight from the head, no value strings made; the
 * same elements splitList would cut (commas outside quotes and < >). Returns
 * undefined on anything the string path should handle or word: a folded or
 * non-ASCII line, an empty or malformed value, more than maxVias.
 */
function fastVias(m: MessageView, s: string, count: number, maxVias: number): Via[] | undefined {
  const names = m.names;
  const offs = m.offs;
  const buf = m.buf;
  const vias: Via[] = [];
  let comma = -2; // next ',' at or after the cursor (-1 none left, -2 not searched yet): one forward search over the head, so linear
  for (let k = m.idx[H_VIA]!; k < count; k++) {
    if (names[k] !== 'via') continue;
    const o = k * 4;
    if (offs[o + 3] !== 0) return undefined;
    let a = offs[o + 1]!;
    const b = offs[o + 2]!;
    let any = false;
    while (a < b) {
      if (comma === -2 || (comma >= 0 && comma < a)) comma = s.indexOf(',', a);
      const end = comma < 0 || comma >= b ? b : listElementEndB(buf, a, b);
      let x = a;
      let y = end;
      while (x < y && isWs(buf[x]!)) x++;
      while (y > x && isWs(buf[y - 1]!)) y--;
      if (y > x) {
        if (vias.length >= maxVias) return undefined;
        const p = parseViaBytes(buf, s, x, y);
        if (p === undefined) return undefined;
        vias.push(p);
        any = true;
      }
      a = end + 1;
    }
    if (!any) return undefined;
  }
  return vias;
}

/**
 * Does buf[a, b) equal the known spelling NAME_BYTES[at, at + n) case-insensitively?
 * Spellings hold lowercase letters and '-', and buf[a, b) only token bytes: among those, c | 0x20
 * equals a lowercase letter only for that letter in either case, and '-' only
 * for '-', so no case test is needed.
 */
function sameLower(buf: Buffer, a: number, b: number, at: number, n: number): boolean {
  if (b - a !== n) return false;
  for (let i = 0; i < n; i++) if ((buf[a + i]! | 0x20) !== NAME_BYTES[at + i]) return false;
  return true;
}

interface StartLineFault {
  reason: ParseErrorReason;
  detail: string;
}

/** Fills kind/method/uri/status/reason/version; returns a fault or undefined. */
function startLine(m: MessageView, head: string, a: number, b: number, limits: SipLimits, ascii: boolean): StartLineFault | undefined {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
  if (b - a >= 4 && (head.charCodeAt(a) | 0x20) === 0x73 && (head.charCodeAt(a + 1) | 0x20) === 0x69 && (head.charCodeAt(a + 2) | 0x20) === 0x70 && head.charCodeAt(a + 3) === 0x2f) {
    m.kind = 'response';
    const sp1 = head.indexOf(' ', a);
    if (sp1 < 0 || sp1 > b) return { reason: 'bad_start_line', detail: 'status line without status code' };
    const sip20 = isSip20(head, a, sp1);
    m.version = sip20 ? 'SIP/2.0' : head.slice(a, sp1);
    const sp2 = sp1 + 4;
    const code = parseDigits(head, sp1 + 1, sp2, 699);
    // A missing SP before an empty reason phrase is tolerated.
    if (code < 100 || sp2 > b || (sp2 < b && head.charCodeAt(sp2) !== 0x20)) {
      return { reason: 'bad_start_line', detail: `bad status code in ${show(head.slice(a, b))}` };
    }
    m.status = code;
    if (sp2 >= b) m.reason = '';
    else if (ascii) m.reason = commonReason(head, sp2 + 1, b) ?? head.slice(sp2 + 1, b);
    else {
      const r = head.slice(sp2 + 1, b);
      m.reason = /[^\x00-\x7f]/.test(r) ? m.buf.toString('utf8', sp2 + 1, b) : r;
    }
    return sip20 ? undefined : versionFault(m.version);
  }
  // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
  m.kind = 'request';
  const sp1 = head.indexOf(' ', a);
  const sp2 = head.lastIndexOf(' ', b);
  if (sp1 < 0 || sp1 >= b || sp2 <= sp1) return { reason: 'bad_start_line', detail: `not a request or status line: ${show(head.slice(a, b))}` };
  const bytes = m.buf; // same offsets as head (latin1), and a faster loop
  for (let i = a; i < sp1; i++) {
    if (TOKEN[bytes[i]!] !== 1) return { reason: 'bad_start_line', detail: `bad method in ${show(head.slice(a, b))}` };
  }
  m.method = knownMethod(head, a, sp1) ?? head.slice(a, sp1);
  for (let i = sp1 + 1; i < sp2; i++) {
    const c = bytes[i]!;
    if (c <= 0x20 || c >= 0x7f) return { reason: 'bad_start_line', detail: `whitespace or control byte in Request-URI ${show(head.slice(sp1 + 1, sp2))}` };
  }
  const uri = head.slice(sp1 + 1, sp2);
  const sip20 = isSip20(head, sp2 + 1, b);
  m.version = sip20 ? 'SIP/2.0' : head.slice(sp2 + 1, b);
  if (!sip20 && !/^SIP\/[0-9]+\.[0-9]+$/i.test(m.version)) return { reason: 'bad_start_line', detail: `bad version ${show(m.version)}` };
  m.uri = uri;
  if (uri.length > limits.maxUriBytes) return { reason: 'uri_too_long', detail: `Request-URI of ${uri.length} bytes` };
  const colon = schemeEnd(uri);
  if (colon < 0) return { reason: 'bad_uri', detail: `Request-URI without a scheme: ${show(uri)}` };
  // RFC 3261 §19.1.1 (table 1): a Request-URI carries no headers component.
  // The userinfo may hold '?' (RFC 4475 §3.1.1.2), so look only after the '@'.
  const sipOrSips =
    (colon === 3 || (colon === 4 && (uri.charCodeAt(3) | 0x20) === 0x73)) &&
    (uri.charCodeAt(0) | 0x20) === 0x73 && (uri.charCodeAt(1) | 0x20) === 0x69 && (uri.charCodeAt(2) | 0x20) === 0x70;
  if (sipOrSips && uri.indexOf('?', Math.max(colon, uri.indexOf('@'))) >= 0) {
    return { reason: 'bad_uri', detail: `headers in Request-URI ${show(uri)}` };
  }
  return sip20 ? undefined : versionFault(m.version);
}

/** Is s[a, b) exactly 'SIP/2.0'? */
function isSip20(s: string, a: number, b: number): boolean {
  return (
    b - a === 7 && s.charCodeAt(a) === 0x53 && s.charCodeAt(a + 1) === 0x49 && s.charCodeAt(a + 2) === 0x50 && s.charCodeAt(a + 3) === 0x2f &&
    s.charCodeAt(a + 4) === 0x32 && s.charCodeAt(a + 5) === 0x2e && s.charCodeAt(a + 6) === 0x30
  );
}

const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'UPDATE', 'INFO', 'SUBSCRIBE', 'NOTIFY', 'REFER', 'MESSAGE', 'PUBLISH'];
const REASONS = ['OK', 'Trying', 'Ringing', 'Session Progress', 'Call Is Being Forwarded', 'Unauthorized', 'Request Terminated', 'Not Found', 'Busy Here'];

/** One of `list` spelled exactly as s[a, b), so common words are not copied per message. */
function known(list: readonly string[], s: string, a: number, b: number): string | undefined {
  const n = b - a;
  for (let k = 0; k < list.length; k++) {
    const w = list[k]!;
    if (w.length !== n || w.charCodeAt(0) !== s.charCodeAt(a)) continue;
    let i = 1;
    while (i < n && w.charCodeAt(i) === s.charCodeAt(a + i)) i++;
    if (i === n) return w;
  }
  return undefined;
}

function knownMethod(s: string, a: number, b: number): string | undefined {
  return known(METHODS, s, a, b);
}

function commonReason(s: string, a: number, b: number): string | undefined {
  return known(REASONS, s, a, b);
}

function versionFault(v: string): StartLineFault | undefined {
  if (v.length > 16 || !/^SIP\/[0-9]+\.[0-9]+$/i.test(v)) return { reason: 'bad_start_line', detail: `bad version ${show(v)}` };
  if (v.slice(4) !== '2.0') return { reason: 'bad_version', detail: `unsupported version ${show(v)}` };
  return undefined;
}


function strictCheck(m: MessageView): [ParseErrorReason, string] | undefined {
  if (m.kind === 'request') {
    const colon = schemeEnd(m.uri);
    const scheme = m.uri.slice(0, colon).toLowerCase();
    if ((scheme === 'sip' || scheme === 'sips' || scheme === 'tel') && parseUri(m.uri) === undefined) return ['bad_uri', `malformed Request-URI ${show(m.uri)}`];
  }
  for (const h of ['from', 'to'] as const) {
    const v = m.header(h)!;
    if (parseNameAddr(v, true) === undefined) return ['bad_header', `malformed ${h} ${show(v)}`];
  }
  if (m.header('contact') !== '*') {
    for (const v of m.headerValues('contact')) if (parseNameAddr(v, true) === undefined) return ['bad_header', `malformed Contact ${show(v)}`];
  }
  return undefined;
}
