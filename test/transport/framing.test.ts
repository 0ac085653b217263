// RFC 3261 §18.3 (Content-Length framing on streams), §7.3.3 (compact form `l`),
// RFC 5626 §3.5.1 (CRLF keep-alive).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { frame, INITIAL_FRAME_STATE, type FrameEvent } from '../../src/transport/framing.js';
import { createStreamFramer } from '../../src/transport/stream-buffer.js';

const limits = { maxMessageBytes: 65536 };
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const msg = (body: string, hdr = 'Content-Length'): string =>
  `INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n${hdr}: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`;
const texts = (events: FrameEvent[]): string[] => events.map((e) => (e.type === 'ping' ? '<ping>' : e.data.toString('latin1')));

describe('frame() — RFC 3261 §18.3 Content-Length framing', () => {
  it('frames one complete message', () => {
    const m = msg('v=0\r\n');
    const r = frame(b(m), INITIAL_FRAME_STATE, limits);
    expect(r.error).toBeUndefined();
    expect(texts(r.events)).toEqual([m]);
    expect(r.consumed).toBe(m.length);
  });

  it('frames several messages coalesced in one segment, with a partial tail', () => {
    const a = msg('one'), c = msg(''), d = msg('three');
    const r = frame(b(a + c + d.slice(0, 20)), INITIAL_FRAME_STATE, limits);
    expect(texts(r.events)).toEqual([a, c]);
    expect(r.consumed).toBe(a.length + c.length);
  });

  it('resumes the header search where it stopped (no rescan from the start)', () => {
    const m = msg('body');
    const part = m.slice(0, 30);
    const r1 = frame(b(part), INITIAL_FRAME_STATE, limits);
    expect(r1.events).toEqual([]);
    expect(r1.consumed).toBe(0);
    expect(r1.state.scanFrom).toBe(27); // last 3 bytes rescanned: CRLFCRLF may straddle
    const r2 = frame(b(m), r1.state, limits);
    expect(texts(r2.events)).toEqual([m]);
  });

  it('remembers the message length once headers are read and waits for the body', () => {
    const m = msg('0123456789');
    const r1 = frame(b(m.slice(0, m.length - 5)), INITIAL_FRAME_STATE, limits);
    expect(r1.state.messageLength).toBe(m.length);
    const r2 = frame(b(m), r1.state, limits);
    expect(texts(r2.events)).toEqual([m]);
  });

  it('accepts the compact form `l` and any case, with spaces before the colon (§7.3.3, §7.3.1)', () => {
    for (const hdr of ['l', 'L', 'content-length', 'CONTENT-LENGTH', 'Content-Length ', 'l\t']) {
      const m = msg('abc', hdr);
      expect(texts(frame(b(m), INITIAL_FRAME_STATE, limits).events)).toEqual([m]);
    }
  });

  it('accepts a folded Content-Length value (§7.3.1 line folding)', () => {
    const m = 'MESSAGE sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nhi';
    expect(texts(frame(b(m), INITIAL_FRAME_STATE, limits).events)).toEqual([m]);
  });

  it('does not mistake other headers starting with l or c for Content-Length', () => {
    const m = 'BYE sip:a SIP/2.0\r\nLocation: x\r\nContent-Type: a/b\r\nCall-ID: 1\r\nl: 1\r\n\r\nZ';
    expect(texts(frame(b(m), INITIAL_FRAME_STATE, limits).events)).toEqual([m]);
  });

  it('treats a missing Content-Length as a framing error on a stream', () => {
    const r = frame(b('OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n'), INITIAL_FRAME_STATE, limits);
    expect(r.error?.reason).toBe('bad_framing');
    expect(r.error?.detail).toMatch(/missing/);
  });

  it.each([
    ['negative', '-1', 'bad_framing', /negative/],
    ['not a number', 'abc', 'bad_framing', /invalid/],
    ['empty', '', 'bad_framing', /invalid/],
    ['trailing garbage', '12x', 'bad_framing', /invalid/],
    ['huge', '99999999999999999999999', 'too_large', /exceeds/],
    ['beyond the limit', '70000', 'too_large', /exceeds/],
  ])('refuses a %s Content-Length', (_name, value, reason, detail) => {
    const r = frame(b(`OPTIONS sip:a SIP/2.0\r\nContent-Length: ${value}\r\n\r\n`), INITIAL_FRAME_STATE, limits);
    expect(r.error?.reason).toBe(reason);
    expect(r.error?.detail).toMatch(detail);
  });

  it('refuses conflicting Content-Length headers (request smuggling)', () => {
    const r = frame(b('OPTIONS sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab'), INITIAL_FRAME_STATE, limits);
    expect(r.error?.reason).toBe('bad_framing');
  });

  it('refuses a header section beyond the limit without a blank line', () => {
    const r = frame(b('OPTIONS sip:a SIP/2.0\r\n' + 'X: y\r\n'.repeat(20)), INITIAL_FRAME_STATE, { maxMessageBytes: 64 });
    expect(r.error?.reason).toBe('too_large');
  });

  it('refuses a message whose headers + body exceed the limit', () => {
    const r = frame(b(msg('x'.repeat(100))), INITIAL_FRAME_STATE, { maxMessageBytes: 120 });
    expect(r.error?.reason).toBe('too_large');
  });

  it('delivers the messages framed before an error', () => {
    const good = msg('ok');
    const r = frame(b(good + 'GARBAGE\r\n\r\n'), INITIAL_FRAME_STATE, limits);
    expect(texts(r.events)).toEqual([good]);
    expect(r.error?.reason).toBe('bad_framing');
  });
});

describe('frame() — RFC 5626 §3.5.1 keep-alive', () => {
  it('reports a double-CRLF ping', () => {
    const r = frame(b('\r\n\r\n'), INITIAL_FRAME_STATE, limits);
    expect(texts(r.events)).toEqual(['<ping>']);
    expect(r.consumed).toBe(4);
  });

  it('skips a stray single CRLF before a message', () => {
    const m = msg('');
    const r = frame(b('\r\n' + m), INITIAL_FRAME_STATE, limits);
    expect(texts(r.events)).toEqual([m]);
  });

  it('waits on a lone CRLF: it may be the first half of a ping', () => {
    const r = frame(b('\r\n'), INITIAL_FRAME_STATE, limits);
    expect(r.events).toEqual([]);
    expect(r.consumed).toBe(0);
  });

  it('interleaves pings and messages in order', () => {
    const m = msg('x');
    const r = frame(b('\r\n\r\n' + m + '\r\n\r\n\r\n\r\n' + m), INITIAL_FRAME_STATE, limits);
    expect(texts(r.events)).toEqual(['<ping>', m, '<ping>', '<ping>', m]);
  });
});

describe('createStreamFramer()', () => {
  const framerLimits = { maxMessageBytes: 65536, maxBufferedBytes: 131072 };

  it('frames a message delivered one byte at a time', () => {
    const f = createStreamFramer(framerLimits);
    const m = msg('hello body');
    const out: string[] = [];
    for (const ch of b('\r\n\r\n' + m)) out.push(...texts(f.push(Buffer.from([ch])).events));
    expect(out).toEqual(['<ping>', m]);
    expect(f.buffered()).toBe(0);
  });

  it('keeps messages intact after the accumulator is reused for the next one', () => {
    const f = createStreamFramer(framerLimits);
    const m1 = msg('first'), m2 = msg('second');
    const all = b(m1 + m2);
    const got: Buffer[] = [];
    for (let i = 0; i < all.length; i += 7) {
      for (const e of f.push(all.subarray(i, i + 7)).events) if (e.type === 'message') got.push(e.data);
    }
    expect(got.map((x) => x.toString('latin1'))).toEqual([m1, m2]);
  });

  it('closes on more unframed bytes than maxBufferedBytes', () => {
    const f = createStreamFramer({ maxMessageBytes: 65536, maxBufferedBytes: 100 });
    expect(f.push(b('OPTIONS sip:a SIP/2.0\r\n')).error).toBeUndefined();
    expect(f.push(b('X: ' + 'y'.repeat(200))).error?.reason).toBe('buffer_limit');
  });

  it('property: any split of any sequence of messages and pings frames the same', () => {
    const item = fc.oneof(
      fc.constant('\r\n\r\n'),
      fc.tuple(fc.string({ maxLength: 300 }), fc.constantFrom('Content-Length', 'l', 'CONTENT-LENGTH')).map(([body, h]) => msg(body, h)),
    );
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }), (items, cuts) => {
        const stream = b(items.join(''));
        const expected = items.map((i) => (i === '\r\n\r\n' ? '<ping>' : Buffer.from(i, 'latin1').toString('latin1')));
        const f = createStreamFramer(framerLimits);
        const got: string[] = [];
        let pos = 0;
        let k = 0;
        while (pos < stream.length) {
          const n = cuts[k++ % cuts.length] ?? 1;
          const r = f.push(Buffer.from(stream.subarray(pos, pos + n)));
          expect(r.error).toBeUndefined();
          got.push(...texts(r.events));
          pos += n;
        }
        expect(got).toEqual(expected);
        expect(f.buffered()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
