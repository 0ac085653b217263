// Body → Sdp (RFC 8866 §5). One linear pass cuts the lines and checks only what
// the relay depends on (v=, o=, c=, m=); every other line is kept as text.
// Never throws: a malformed body is a value with a reason.

import { parseConnection, parseMediaLine, parseOrigin } from './fields.js';
import { DEFAULT_SDP_LIMITS, type Sdp, type SdpErrorReason, type SdpLimits, type SdpLine, type SdpParseResult } from './types.js';

function fail(reason: SdpErrorReason, detail: string, line?: number): SdpParseResult {
  return line === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, line };
}

/** Bytes that have no business in an SDP line: NUL, a lone CR, other C0 controls except tab. */
function badChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 && c !== 9) return true;
    if (c === 127) return true;
  }
  return false;
}

function isTypeChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

export function parseSdp(body: Buffer | string, limits?: Partial<SdpLimits>): SdpParseResult {
  const lim: SdpLimits = limits === undefined ? DEFAULT_SDP_LIMITS : { ...DEFAULT_SDP_LIMITS, ...limits };
  const binary = typeof body !== 'string';
  // Size is checked on the bytes before any decoding work.
  const size = binary ? body.length : Buffer.byteLength(body);
  if (size === 0) return fail('empty', 'empty body');
  if (size > lim.maxBytes) return fail('too_large', `${size} bytes > ${lim.maxBytes}`);
  const s = binary ? body.toString('latin1') : body;

  const session: SdpLine[] = [];
  const media: SdpLine[][] = [];
  let current: SdpLine[] = session;
  let count = 0;
  let sawOrigin = false;
  let pos = 0;
  const n = s.length;
  while (pos < n) {
    let nl = s.indexOf('\n', pos);
    let eol: string;
    let end: number;
    if (nl < 0) {
      nl = n;
      end = n;
      eol = '';
    } else if (nl > pos && s.charCodeAt(nl - 1) === 13) {
      end = nl - 1;
      eol = '\r\n';
    } else {
      end = nl;
      eol = '\n';
    }
    const lineNo = count + 1;
    if (end - pos > lim.maxLineBytes) return fail('line_too_long', `line ${lineNo}: ${end - pos} bytes > ${lim.maxLineBytes}`, lineNo);
    if (++count > lim.maxLines) return fail('too_many_lines', `more than ${lim.maxLines} lines`, lineNo);
    const text = s.slice(pos, end);
    pos = nl + 1;

    if (text.length === 0) {
      if (count === 1) return fail('bad_version', 'first line must be v=0, got a blank line', 1);
      current.push({ type: '', text, eol });
      continue;
    }
    if (text.length < 2 || !isTypeChar(text.charCodeAt(0)) || text.charCodeAt(1) !== 61 /* = */ || badChar(text)) {
      return fail('bad_line', `line ${lineNo} is not <type>=<value>: ${show(text)}`, lineNo);
    }
    const type = text[0]!;
    if (count === 1 && text !== 'v=0') return fail('bad_version', `first line must be v=0, got ${show(text)}`, 1);
    switch (type) {
      case 'o':
        if (parseOrigin(text) === undefined) return fail('bad_origin', `line ${lineNo}: ${show(text)}`, lineNo);
        sawOrigin = true;
        break;
      case 'c':
        if (parseConnection(text) === undefined) return fail('bad_connection', `line ${lineNo}: ${show(text)}`, lineNo);
        break;
      case 'm':
        if (parseMediaLine(text) === undefined) return fail('bad_media', `line ${lineNo}: ${show(text)}`, lineNo);
        if (media.length >= lim.maxMedia) return fail('too_many_media', `more than ${lim.maxMedia} m= lines`, lineNo);
        current = [];
        media.push(current);
        break;
    }
    current.push({ type, text, eol });
  }
  // o= is what the version rule and topology hiding rewrite; a body without it cannot be relayed safely.
  if (!sawOrigin) return fail('bad_origin', 'no o= line');
  const sdp: Sdp = { session, media, binary };
  return { ok: true, sdp };
}

/** Shortens attacker-controlled text quoted in a detail string. */
function show(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
}
