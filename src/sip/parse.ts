// Bytes → SipMessage (RFC 3261 §7, §18.3, §25). One linear pass over the head
// records line offsets; only what every message needs checked is decoded here
// (start line, Via, CSeq, Max-Forwards, Content-Length). Never throws.

import { TOKEN, parseDigits, isWs } from './chars.js';
import { canonicalName, splitList } from './headers.js';
import { resolveLimits, type SipLimits } from './limits.js';
import { MessageView, type SipMessage } from './message.js';
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

const CRLFCRLF = Buffer.from('\r\n\r\n');
/** Headers that may appear once; a second one makes the message ambiguous (RFC 4475 §3.2.8, §3.2.9). */
const SINGLE = ['from', 'to', 'call-id', 'cseq', 'max-forwards', 'content-length'] as const;

function fail(reason: ParseErrorReason, detail: string, partial?: MessageView): ParseResult {
  if (partial === undefined) return { ok: false, reason, detail, canReply: false };
  return { ok: false, reason, detail, canReply: canReply(partial), partial };
}

/** A 400-class reply needs a request (never ACK) whose Via, From, To, Call-ID and CSeq are there. */
function canReply(m: MessageView): boolean {
  if (m.kind !== 'request' || m.method === 'ACK') return false;
  for (const h of ['from', 'to', 'call-id', 'cseq']) if (m.names.indexOf(h) < 0) return false;
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

  // An oversized message is still scanned within the limit so a 413 can be sent back.
  const tooLarge = len > limits.maxMessageBytes;
  const searchIn = tooLarge ? buf.subarray(0, start + limits.maxMessageBytes) : buf;
  const blank = searchIn.indexOf(CRLFCRLF, start);
  if (blank < 0) {
    if (tooLarge) return fail('too_large', `${len} bytes exceeds ${limits.maxMessageBytes}`);
    return fail('incomplete', 'no empty line ends the header section');
  }
  const head = buf.toString('latin1', 0, blank + 2);
  const m = new MessageView(buf, head, start);

  // ---- start line ----
  const sle = head.indexOf('\r\n', start);
  if (sle - start > limits.maxHeaderLineBytes) return fail('header_too_long', `start line of ${sle - start} bytes`);
  if (head.indexOf('\n', start) !== sle + 1 || head.indexOf('\r', start) !== sle) return fail('bad_start_line', 'bare CR or LF in start line');
  m.startLineEnd = sle;
  const sl = startLine(m, head, start, sle, limits);
  if (sl !== undefined && sl.reason !== 'bad_version' && sl.reason !== 'bad_uri' && sl.reason !== 'uri_too_long') {
    return fail(sl.reason, sl.detail);
  }

  // ---- header lines ----
  const names = m.names;
  const offs = m.offs;
  const hl = head.length; // = blank + 2: the last header's CRLF is included
  let pos = sle + 2;
  let viaLines = 0;
  while (pos < hl) {
    const c0 = head.charCodeAt(pos);
    if (isWs(c0)) return fail('bad_header', 'continuation line with no header before it');
    let i = pos;
    while (i < hl) {
      const c = head.charCodeAt(i);
      if (c >= 256 || TOKEN[c] !== 1) break;
      i++;
    }
    const nameEnd = i;
    while (i < hl && isWs(head.charCodeAt(i))) i++;
    if (nameEnd === pos || head.charCodeAt(i) !== 0x3a) {
      return fail('bad_header', `not a header line: ${show(head.slice(pos, head.indexOf('\r', pos)))}`);
    }
    const vs = i + 1;
    let e = head.indexOf('\r\n', vs);
    // Each physical line must end in CRLF: a lone CR or LF would let a downstream parser see other headers than we do.
    let seg = vs;
    for (;;) {
      if (head.indexOf('\r', seg) !== e || head.indexOf('\n', seg) !== e + 1) return fail('bad_header', 'bare CR or LF in a header line');
      const nx = head.charCodeAt(e + 2);
      if (nx !== 0x20 && nx !== 0x09) break; // no fold: the logical line ends here
      seg = e + 2;
      e = head.indexOf('\r\n', seg);
    }
    if (e - pos > limits.maxHeaderLineBytes) return fail('header_too_long', `header of ${e - pos} bytes`);
    if (names.length >= limits.maxHeaders) return fail('too_many_headers', `more than ${limits.maxHeaders} header lines`);
    const canon = canonicalName(head.slice(pos, nameEnd));
    if (canon === 'via') viaLines++;
    names.push(canon);
    offs.push(pos, vs, e);
    pos = e + 2;
  }
  m.bodyStart = blank + 4;
  m.bodyEnd = len;

  // From here on a partial view exists, so failures can carry it for a reply.
  if (tooLarge) return fail('too_large', `${len} bytes exceeds ${limits.maxMessageBytes}`, m);
  if (sl !== undefined) return fail(sl.reason, sl.detail, m);

  for (const h of SINGLE) {
    const a = names.indexOf(h);
    if (a >= 0 && names.indexOf(h, a + 1) >= 0) {
      if (h === 'content-length') return fail('bad_content_length', 'more than one Content-Length', m);
      return fail('duplicate_header', `more than one ${h}`, m);
    }
  }
  for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) {
    if (names.indexOf(h) < 0) return fail('missing_header', `no ${h} header`, m);
  }

  // ---- Via: every value is checked, because responses are routed by them ----
  const vias: Via[] = [];
  const values: string[] = [];
  for (let k = 0; k < names.length && viaLines > 0; k++) {
    if (names[k] !== 'via') continue;
    viaLines--;
    values.length = 0;
    splitList(m.parsedValue(k), values);
    if (values.length === 0) return fail('bad_via', 'empty Via', m);
    for (const v of values) {
      if (vias.length >= limits.maxVias) return fail('too_many_vias', `more than ${limits.maxVias} Via values`, m);
      const p = parseVia(v);
      if (p === undefined) return fail('bad_via', `malformed Via ${show(v)}`, m);
      vias.push(p);
    }
  }
  m._vias = vias;

  // ---- CSeq ----
  const cseqRaw = m.header('cseq')!;
  const cseq = parseCSeq(cseqRaw);
  if (cseq === undefined) return fail('bad_cseq', `malformed CSeq ${show(cseqRaw)}`, m);
  m._cseq = cseq;
  if (m.kind === 'request' && cseq.method !== m.method) {
    return fail('cseq_method_mismatch', `CSeq method ${show(cseq.method)} is not the request method ${show(m.method)}`, m);
  }

  // ---- Max-Forwards (RFC 3261 §20.22: 0..255; absent is tolerated as 70) ----
  const mfRaw = m.header('max-forwards');
  if (mfRaw !== undefined) {
    const mf = parseDigits(mfRaw, 0, mfRaw.length, 255);
    if (mf < 0) {
      m._maxForwards = -1;
      return fail('bad_max_forwards', `Max-Forwards ${show(mfRaw)}`, m);
    }
    m._maxForwards = mf;
  }

  // ---- Content-Length and body (RFC 3261 §18.3, §20.14) ----
  const clRaw = m.header('content-length');
  const avail = len - m.bodyStart;
  if (clRaw === undefined) {
    if (stream) return fail('missing_header', 'no Content-Length on a stream transport', m);
  } else {
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
  if ((scheme === 'sip' || scheme === 'sips') && uri.indexOf('?') >= 0) return { reason: 'bad_uri', detail: `headers in Request-URI ${show(uri)}` };
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
    if (parseNameAddr(v) === undefined) return ['bad_header', `malformed ${h} ${show(v)}`];
  }
  if (m.has('contact') && m.header('contact') !== '*' && m.contacts() === undefined) return ['bad_header', 'malformed Contact'];
  return undefined;
}
