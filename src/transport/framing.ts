// Stream framing (RFC 3261 §18.3): on TCP/TLS a message ends where its Content-Length
// says, so the header section has to be found and that one header read. Nothing else
// about the message is interpreted here; the SIP parser above does that.
//
// Keep-alive (RFC 5626 §3.5.1): between messages a double CRLF is a "ping" to be
// answered with a single CRLF "pong"; a lone CRLF (e.g. a pong, or a sloppy peer's
// trailing CRLF, RFC 3261 §7.5) is skipped.
//
// frame() is pure: it reads `buf` (the connection's unconsumed bytes, starting at a
// message boundary) and a small state carried between calls, so a header section
// that arrives in many segments is scanned once, not once per segment.

export type FramingErrorReason = 'too_large' | 'bad_framing';

export interface FramingLimits {
  /** Largest message (headers + blank line + body) accepted on a stream. */
  readonly maxMessageBytes: number;
}

/** Carried from one frame() call to the next for the same connection. */
export interface FrameState {
  /** Offset (from the start of the unconsumed bytes) where the search for CRLFCRLF resumes. */
  readonly scanFrom: number;
  /** Total length of the message at the boundary once its headers were read; -1 while unknown. */
  readonly messageLength: number;
}

export type FrameEvent =
  | { readonly type: 'message'; readonly data: Buffer }
  | { readonly type: 'ping' };

export interface FramingError {
  readonly reason: FramingErrorReason;
  readonly detail: string;
}

export interface FrameResult {
  /** In arrival order. Message data are views into `buf` (no copy). */
  readonly events: FrameEvent[];
  /** Bytes at the front of `buf` fully handled; the caller drops them. */
  readonly consumed: number;
  /** State for the next call, relative to buf[consumed]. */
  readonly state: FrameState;
  /** Set when the stream is unusable; the caller closes the connection. Events before it are valid. */
  readonly error?: FramingError;
}

export const INITIAL_FRAME_STATE: FrameState = Object.freeze({ scanFrom: 0, messageLength: -1 });

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
// "content-length" after its first letter, lower case; compared with `| 0x20`.
const ONTENT_LENGTH = Buffer.from('ontent-length', 'latin1');

export function frame(buf: Buffer, state: FrameState, limits: FramingLimits): FrameResult {
  const events: FrameEvent[] = [];
  const len = buf.length;
  let pos = 0;
  let scanFrom = state.scanFrom;
  let messageLength = state.messageLength;

  for (;;) {
    if (messageLength < 0 && scanFrom === 0) {
      // At a boundary with nothing scanned yet: keep-alives and stray CRLFs come first.
      const ka = keepAlive(buf, pos, len);
      if (ka === 'need_more') return done(pos, 0, -1);
      if (ka === 'ping') {
        events.push({ type: 'ping' });
        pos += 4;
        continue;
      }
      if (ka === 'stray') {
        pos += 2;
        continue;
      }
      if (pos === len) return done(pos, 0, -1);
    }

    if (messageLength < 0) {
      const end = buf.indexOf(HEADER_END, pos + scanFrom);
      if (end < 0) {
        const have = len - pos;
        if (have > limits.maxMessageBytes) {
          return fail(pos, 'too_large', `header section exceeds ${limits.maxMessageBytes} bytes without a blank line`);
        }
        // The terminator may straddle this segment's end: rescan its last 3 bytes.
        return done(pos, Math.max(0, have - 3), -1);
      }
      const bodyStart = end + 4;
      if (bodyStart - pos > limits.maxMessageBytes) {
        return fail(pos, 'too_large', `header section exceeds ${limits.maxMessageBytes} bytes`);
      }
      const cl = contentLength(buf, pos, end, limits.maxMessageBytes);
      if (typeof cl !== 'number') return fail(pos, cl.reason, cl.detail);
      messageLength = bodyStart - pos + cl;
      if (messageLength > limits.maxMessageBytes) {
        return fail(pos, 'too_large', `message of ${messageLength} bytes exceeds ${limits.maxMessageBytes}`);
      }
    }

    if (len - pos < messageLength) return done(pos, scanFrom, messageLength);
    events.push({ type: 'message', data: buf.subarray(pos, pos + messageLength) });
    pos += messageLength;
    messageLength = -1;
    scanFrom = 0;
  }

  function done(consumed: number, nextScan: number, nextLength: number): FrameResult {
    return { events, consumed, state: { scanFrom: nextScan, messageLength: nextLength } };
  }
  function fail(consumed: number, reason: FramingErrorReason, detail: string): FrameResult {
    return { events, consumed, state: INITIAL_FRAME_STATE, error: { reason, detail } };
  }
}

type KeepAlive = 'none' | 'ping' | 'stray' | 'need_more';

/** Classifies the bytes at a message boundary. A lone CR/CRLF at the end may become a ping. */
function keepAlive(buf: Buffer, pos: number, len: number): KeepAlive {
  const avail = len - pos;
  if (avail === 0 || buf[pos] !== CR) return 'none';
  if (avail === 1) return 'need_more';
  if (buf[pos + 1] !== LF) return 'none';
  if (avail === 2) return 'need_more';
  if (buf[pos + 2] !== CR) return 'stray';
  if (avail === 3) return 'need_more';
  return buf[pos + 3] === LF ? 'ping' : 'stray';
}

/**
 * Reads Content-Length (or compact `l`) from the header section buf[start, end), where
 * `end` is the index of the CRLFCRLF. The first line is the start line and is skipped.
 * A missing value is an error on a stream: without it the message has no end.
 */
function contentLength(buf: Buffer, start: number, end: number, max: number): number | FramingError {
  let found = -1;
  let line = buf.indexOf(LF, start) + 1; // the first header line (0 if the start line has no LF)
  if (line === 0 || line > end) line = end + 2; // the start line alone: no headers
  while (line < end + 2) {
    const nameEnd = headerNameEnd(buf, line, end + 2);
    if (nameEnd > 0) {
      const v = parseValue(buf, nameEnd + 1, end + 2, max);
      if (typeof v !== 'number') return v;
      if (found >= 0 && found !== v) return { reason: 'bad_framing', detail: 'conflicting Content-Length headers' };
      found = v;
    }
    const next = buf.indexOf(LF, line);
    if (next < 0 || next >= end + 2) break;
    line = next + 1;
  }
  if (found < 0) return { reason: 'bad_framing', detail: 'missing Content-Length on a stream' };
  return found;
}

/** If the line at `at` is a Content-Length header, the index of its colon; else -1. */
function headerNameEnd(buf: Buffer, at: number, limit: number): number {
  const c = (buf[at] ?? 0) | 0x20;
  let i: number;
  if (c === 0x6c /* l */) {
    i = at + 1;
  } else if (c === 0x63 /* c */) {
    if (at + 1 + ONTENT_LENGTH.length > limit) return -1;
    for (let k = 0; k < ONTENT_LENGTH.length; k++) {
      if (((buf[at + 1 + k] ?? 0) | 0x20) !== ONTENT_LENGTH[k]) return -1;
    }
    i = at + 1 + ONTENT_LENGTH.length;
  } else {
    return -1;
  }
  while (i < limit && (buf[i] === SP || buf[i] === HTAB)) i++;
  return i < limit && buf[i] === COLON ? i : -1;
}

/** Parses `LWS 1*DIGIT LWS CRLF` (folded continuation lines allowed) starting at `at`. */
function parseValue(buf: Buffer, at: number, limit: number, max: number): number | FramingError {
  let i = skipLws(buf, at, limit);
  let value = 0;
  let digits = 0;
  while (i < limit) {
    const c = buf[i] ?? 0;
    if (c < ZERO || c > NINE) break;
    // Past max it can only be refused; stop accumulating before the number overflows.
    if (value <= max) value = value * 10 + (c - ZERO);
    digits++;
    i++;
  }
  i = skipLws(buf, i, limit);
  if (digits === 0 || buf[i] !== CR || buf[i + 1] !== LF) {
    const neg = buf[skipLws(buf, at, limit)] === 0x2d;
    return { reason: 'bad_framing', detail: neg ? 'negative Content-Length' : 'invalid Content-Length' };
  }
  if (value > max) return { reason: 'too_large', detail: `Content-Length exceeds ${max} bytes` };
  return value;
}

/** Skips spaces, tabs and line folds (CRLF followed by SP/HTAB). */
function skipLws(buf: Buffer, at: number, limit: number): number {
  let i = at;
  for (;;) {
    const c = buf[i];
    if (c === SP || c === HTAB) {
      i++;
    } else if (c === CR && buf[i + 1] === LF && i + 2 < limit && (buf[i + 2] === SP || buf[i + 2] === HTAB)) {
      i += 3;
    } else {
      return i;
    }
  }
}
