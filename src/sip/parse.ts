// Bytes → SipMessage (RFC 3261 §7, §18.3, §25). One linear pass over the head
// records line offsets; only what every message needs checked is decoded here
// (start line, Via, CSeq, Max-Forwards, Content-Length). Never throws.

import { TOKEN, parseDigits, isWs } from './chars.js';
import { H_CONTENT_LENGTH, H_CSEQ, H_MAX_FORWARDS, H_VIA, KNOWN_BY_HASH, canonicalName, splitList } from './headers.js';
import { resolveLimits, type SipLimits } from './limits.js';
import { MessageView, topLevelComma, type SipMessage } from './message.js';
import { parseCSeq } from './cseq.js';
import { parseVia, type Via } from './via.js';
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
  const s = buf.toString('latin1', 0, tooLarge ? start + limits.maxMessageBytes : len);
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
  const sl = startLine(m, s, start, sle, limits);
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
      if (c >= 256 || TOKEN[c] !== 1) break;
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
    let high = 0; // OR of all value bytes: bit 7 set means non-ASCII, decoded as UTF-8 on access
    let j = vs;
    let lf: number;
    // Each physical line must end in CRLF: a lone CR or LF would let a
    // downstream parser see other headers than we do. A byte loop measured as
    // fast as Buffer#indexOf (memchr) here: lines are short and calls cost.
    for (;;) {
      let c = 0;
      while (j < sn && (c = buf[j]!) > 0x0d) {
        high |= c;
        j++;
      }
      while (j < sn) {
        c = buf[j]!;
        if (c === 0x0d || c === 0x0a) break;
        j++;
        while (j < sn && (c = buf[j]!) > 0x0d) {
          high |= c;
          j++;
        }
      }
      if (j >= sn) {
        if (sn - pos > maxLine) return fail('header_too_long', `header of more than ${maxLine} bytes`);
        return incomplete();
      }
      if (buf[j]! !== 0x0d || buf[j + 1]! !== 0x0a) {
        if (j + 1 >= sn) return incomplete();
        return fail('bad_header', 'bare CR or LF in a header line');
      }
      lf = j + 1;
      const nx = buf[lf + 1]!;
      if (nx !== 0x20 && nx !== 0x09) break;
      folded = 1;
      j = lf + 1;
    }
    const e = lf - 1;
    if (e - pos > maxLine) return fail('header_too_long', `header of ${e - pos} bytes`);
    if (names.length >= maxHeaders) return fail('too_many_headers', `more than ${maxHeaders} header lines`);

    let canon: string | undefined;
    let id = 0;
    const cands = KNOWN_BY_HASH.get(h);
    if (cands !== undefined) {
      for (const k of cands) if (sameLower(s, pos, nameEnd, k.spelled)) (canon = k.canon), (id = k.id);
    }
    if (canon === undefined) canon = canonicalName(s.slice(pos, nameEnd));
    if (id !== 0) {
      if (idx[id]! < 0) idx[id] = names.length;
      else if (id !== H_VIA) dup = id;
    }
    names.push(canon);
    offs.push(pos, vs, e, folded | (high & 0x80 ? 2 : 0));
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
  const vias: Via[] = [];
  const values: string[] = [];
  const maxVias = limits.maxVias;
  for (let k = idx[H_VIA]!; k < names.length; k++) {
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
  m._vias = vias;

  // ---- CSeq ----
  const cseqRaw = m.parsedValue(idx[H_CSEQ]!);
  const cseq = parseCSeq(cseqRaw);
  if (cseq === undefined) return fail('bad_cseq', `malformed CSeq ${show(cseqRaw)}`, m);
  m._cseq = cseq;
  if (m.kind === 'request' && cseq.method !== m.method) {
    return fail('cseq_method_mismatch', `CSeq method ${show(cseq.method)} is not the request method ${show(m.method)}`, m);
  }

  // ---- Max-Forwards (RFC 3261 §20.22: 0..255; absent is tolerated as 70) ----
  if (idx[H_MAX_FORWARDS]! >= 0) {
    const mfRaw = m.parsedValue(idx[H_MAX_FORWARDS]!);
    const mf = parseDigits(mfRaw, 0, mfRaw.length, 255);
    if (mf < 0) {
      m._maxForwards = -1;
      return fail('bad_max_forwards', `Max-Forwards ${show(mfRaw)}`, m);
    }
    m._maxForwards = mf;
  }

  // ---- Content-Length and body (RFC 3261 §18.3, §20.14) ----
  const avail = len - m.bodyStart;
  if (idx[H_CONTENT_LENGTH]! < 0) {
    if (stream) return fail('missing_header', 'no Content-Length on a stream transport', m);
  } else {
    const clRaw = m.parsedValue(idx[H_CONTENT_LENGTH]!);
    const cl = parseDigits(clRaw, 0, clRaw.length, 2 ** 31 - 1);
    if (cl < 0) return fail('bad_content_length', `Content-Length ${show(clRaw)}`, m);
    if (cl > avail) return fail('body_truncated', `Content-Length ${cl} but ${avail} body bytes`, m);
    m.bodyEnd = m.bodyStart + cl; // bytes after the body are discarded (datagram) or belong to the framer (stream)
  }

  if (opts?.strict === true) {
    const bad = strictCheck(m);
    if (bad !== undefined) return fail(bad[0], bad[1], m);
  }
  return { ok: true, message: m };
}

const MANDATORY_NAMES = ['', 'Via', 'From', 'To', 'Call-ID', 'CSeq'];

/** Does s[a, b) equal `lower` case-insensitively? (`lower` is all lowercase.) */
function sameLower(s: string, a: number, b: number, lower: string): boolean {
  if (b - a !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = s.charCodeAt(a + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

interface StartLineFault {
  reason: ParseErrorReason;
  detail: string;
}

/** Fills kind/method/uri/status/reason/version; returns a fault or undefined. */
function startLine(m: MessageView, head: string, a: number, b: number, limits: SipLimits): StartLineFault | undefined {
  // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
  if (b - a >= 4 && (head.charCodeAt(a) | 0x20) === 0x73 && (head.charCodeAt(a + 1) | 0x20) === 0x69 && (head.charCodeAt(a + 2) | 0x20) === 0x70 && head.charCodeAt(a + 3) === 0x2f) {
    m.kind = 'response';
    const sp1 = head.indexOf(' ', a);
    if (sp1 < 0 || sp1 > b) return { reason: 'bad_start_line', detail: 'status line without status code' };
    m.version = head.slice(a, sp1);
    const sp2 = sp1 + 4;
    const code = parseDigits(head, sp1 + 1, sp2, 699);
    // A missing SP before an empty reason phrase is tolerated.
    if (code < 100 || sp2 > b || (sp2 < b && head.charCodeAt(sp2) !== 0x20)) {
      return { reason: 'bad_start_line', detail: `bad status code in ${show(head.slice(a, b))}` };
    }
    m.status = code;
    const r = sp2 < b ? head.slice(sp2 + 1, b) : '';
    m.reason = /[^\x00-\x7f]/.test(r) ? m.buf.toString('utf8', sp2 + 1, b) : r;
    return versionFault(m.version);
  }
  // Request-Line = Method SP Request-URI SP SIP-Version: exactly two single spaces.
  m.kind = 'request';
  const sp1 = head.indexOf(' ', a);
  const sp2 = head.lastIndexOf(' ', b);
  if (sp1 < 0 || sp1 >= b || sp2 <= sp1) return { reason: 'bad_start_line', detail: `not a request or status line: ${show(head.slice(a, b))}` };
  for (let i = a; i < sp1; i++) {
    const c = head.charCodeAt(i);
    if (c >= 256 || TOKEN[c] !== 1) return { reason: 'bad_start_line', detail: `bad method in ${show(head.slice(a, b))}` };
  }
  m.method = head.slice(a, sp1);
  const uri = head.slice(sp1 + 1, sp2);
  for (let i = 0; i < uri.length; i++) {
    const c = uri.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return { reason: 'bad_start_line', detail: `whitespace or control byte in Request-URI ${show(uri)}` };
  }
  m.version = head.slice(sp2 + 1, b);
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(m.version)) return { reason: 'bad_start_line', detail: `bad version ${show(m.version)}` };
  m.uri = uri;
  if (uri.length > limits.maxUriBytes) return { reason: 'uri_too_long', detail: `Request-URI of ${uri.length} bytes` };
  const colon = schemeEnd(uri);
  if (colon < 0) return { reason: 'bad_uri', detail: `Request-URI without a scheme: ${show(uri)}` };
  const scheme = uri.slice(0, colon).toLowerCase();
  // RFC 3261 §19.1.1 (table 1): a Request-URI carries no headers component.
  // The userinfo may hold '?' (RFC 4475 §3.1.1.2), so look only after the '@'.
  if ((scheme === 'sip' || scheme === 'sips') && uri.indexOf('?', Math.max(colon, uri.indexOf('@'))) >= 0) {
    return { reason: 'bad_uri', detail: `headers in Request-URI ${show(uri)}` };
  }
  return versionFault(m.version);
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
