// Property tests (fast-check): round trips, and hostile input never throws,
// never hangs, and costs time linear in its size.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatUri, parseMessage, parseUri, type ParseResult, type SipMessage } from '../../src/sip/index.js';
import { MIX } from '../../bench/mix.js';
import * as T from './torture/messages.js';

const token = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.!%*_+`'~-]{0,11}$/);
const hostname = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}$/);
const userPart = fc.stringMatching(/^[A-Za-z0-9_.!~*'()&=+$,;?/-]{1,12}$/).filter((u) => !u.includes(';') || !u.startsWith(';'));
const paramName = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/);
const paramValue = fc.stringMatching(/^[A-Za-z0-9.-]{1,10}$/);
const headerText = fc.stringMatching(/^[A-Za-z0-9 .,;:=@<>"/?!%*_+`'~()[\]-]{0,40}$/).map((s) => s.trim());

/** Touches every accessor, so the lazy paths are exercised too; none may throw. */
function touchAll(r: ParseResult): void {
  const m: SipMessage | undefined = r.ok ? r.message : r.partial;
  if (m === undefined) return;
  m.vias(); m.topVia(); m.cseq(); m.callId(); m.from(); m.to(); m.contacts(); m.maxForwards(); m.requestUri();
  m.nameAddrs('route'); m.nameAddrs('record-route'); m.headerEntries(); void m.body;
  for (const n of new Set(m.headerEntries().map(([name]) => name.toLowerCase()))) { m.header(n); m.headerValues(n); m.headerLines(n); }
  m.serialize();
}

/** Parses and reports the wall time; the bound is generous because CI machines are shared. */
function timed(b: Buffer, stream = false): number {
  const t0 = performance.now();
  const r = parseMessage(b, { stream, strict: true });
  touchAll(r);
  return performance.now() - t0;
}

describe('RFC 3261 §25 round trip: generated messages', () => {
  it('parse yields the generated values and serialize gives back the exact bytes', () => {
    fc.assert(
      fc.property(
        fc.record({
          method: token,
          user: userPart,
          host: hostname,
          port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
          vias: fc.array(fc.record({ transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS'), host: hostname, branch: token }), { minLength: 1, maxLength: 5 }),
          fromTag: token,
          toTag: fc.option(token, { nil: undefined }),
          callId: fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~@-]{1,30}$/),
          seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
          mf: fc.integer({ min: 0, max: 255 }),
          extra: fc.array(fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), headerText), { maxLength: 6 }),
          body: fc.uint8Array({ maxLength: 300 }),
          compact: fc.boolean(),
        }),
        (g) => {
          const uri = `sip:${g.user}@${g.host}${g.port === undefined ? '' : ':' + g.port}`;
          const lines = [`${g.method} ${uri} SIP/2.0`];
          for (const v of g.vias) lines.push(`${g.compact ? 'v' : 'Via'}: SIP/2.0/${v.transport} ${v.host};branch=z9hG4bK${v.branch}`);
          lines.push(`${g.compact ? 'f' : 'From'}: <sip:a@${g.host}>;tag=${g.fromTag}`);
          lines.push(`${g.compact ? 't' : 'To'}: <sip:b@${g.host}>${g.toTag === undefined ? '' : ';tag=' + g.toTag}`);
          lines.push(`${g.compact ? 'i' : 'Call-ID'}: ${g.callId}`, `CSeq: ${g.seq} ${g.method}`, `Max-Forwards: ${g.mf}`);
          for (const [n, v] of g.extra) lines.push(`${n}: ${v}`);
          lines.push(`${g.compact ? 'l' : 'Content-Length'}: ${g.body.length}`);
          const bytes = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n'), Buffer.from(g.body)]);
          const r = parseMessage(bytes, { strict: true });
          if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
          const m = r.message;
          expect(m.method).toBe(g.method);
          expect(m.uri).toBe(uri);
          expect(m.requestUri()?.user).toBe(g.user);
          expect(m.requestUri()?.port).toBe(g.port);
          expect(m.vias().map((v) => [v.transport, v.host, v.branch])).toEqual(g.vias.map((v) => [v.transport, v.host, 'z9hG4bK' + v.branch]));
          expect(m.from()?.tag).toBe(g.fromTag);
          expect(m.to()?.tag).toBe(g.toTag);
          expect(m.callId()).toBe(g.callId);
          expect(m.cseq()).toEqual({ seq: g.seq, method: g.method });
          expect(m.maxForwards()).toBe(g.mf);
          for (const [n, v] of g.extra) expect(m.headerLines(n)).toContain(v);
          expect(Buffer.compare(m.body, Buffer.from(g.body))).toBe(0);
          expect(m.serialize().equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('edits keep every untouched line byte-identical', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MIX), fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, '')), (s, v) => {
        const r = parseMessage(Buffer.from(s));
        if (!r.ok) throw new Error(r.reason);
        r.message.appendHeader('X-Added', v);
        const out = r.message.serialize().toString();
        const [head, body] = [s.slice(0, s.indexOf('\r\n\r\n')), s.slice(s.indexOf('\r\n\r\n') + 4)];
        expect(out).toBe(`${head}\r\nX-Added: ${v}\r\n\r\n${body}`);
      }),
      { numRuns: 100 },
    );
  });

  it('RFC 3261 §19.1 formatUri(parseUri(u)) is stable', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('sip', 'sips'), fc.option(userPart, { nil: undefined }), hostname,
        fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
        fc.array(fc.tuple(paramName, fc.option(paramValue, { nil: null })), { maxLength: 4 }),
        (scheme, user, host, port, params) => {
          const u = `${scheme}:${user === undefined ? '' : user + '@'}${host}${port === undefined ? '' : ':' + port}${params.map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join('')}`;
          const p = parseUri(u);
          expect(p).toBeDefined();
          const dedup = new Map(params);
          expect(p!.params).toEqual(dedup);
          expect(parseUri(formatUri(p!))).toEqual(p);
        },
      ),
      { numRuns: 300 },
    );
  });
});

const REAL: Buffer[] = [...MIX.map((s) => Buffer.from(s)), ...Object.values(T).filter((b): b is Buffer => Buffer.isBuffer(b))];

// A quadratic scan of a 60 KB input costs seconds; linear parsing takes a few ms. The
// bound sits far from both so a busy two-core CI machine cannot make it flaky.
const BOUND_MS = 250;

describe('hostile input never throws and stays fast', () => {
  it('random byte mutations, insertions, deletions and truncations of real messages', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...REAL),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), { maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        fc.boolean(),
        (src, edits, cut, stream) => {
          let b = Buffer.from(src);
          for (const [at, byte, op] of edits) {
            const i = at % Math.max(1, b.length);
            if (op === 'set') b[i] = byte;
            else if (op === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
            else b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
          }
          if (cut !== undefined) b = b.subarray(0, cut % (b.length + 1));
          expect(timed(b, stream)).toBeLessThan(BOUND_MS);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes and random text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (a) => {
        expect(timed(Buffer.from(a))).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom('INVITE ', 'sip:', 'SIP/2.0', '\r\n', ' ', ':', ';', ',', '"', '<', '>', '\\', 'Via', 'To', 'v', 'a', '=', '@', '\t'), { maxLength: 400 }), (parts) => {
        expect(timed(Buffer.from(parts.join('')))).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 500 },
    );
  });

  const head = 'INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n';
  const adversarial: Array<[string, string]> = [
    ['60 KB of commas in one header', head + 'Contact: ' + ','.repeat(60_000) + '\r\n\r\n'],
    ['60 KB of quotes', head + 'Contact: ' + '"'.repeat(60_000) + '\r\n\r\n'],
    ['60 KB of backslashes inside a quote', head + 'To: "' + '\\'.repeat(60_000) + '\r\n\r\n'],
    ['60 KB of <', head + 'Route: ' + '<'.repeat(60_000) + '\r\n\r\n'],
    ['deep nesting <"<"<"…', head + 'Route: ' + '<"'.repeat(30_000) + '\r\n\r\n'],
    ['60 KB of semicolons', head + 'Via: SIP/2.0/UDP h' + ';'.repeat(60_000) + '\r\n\r\n'],
    ['60 KB of params', head + 'Contact: <sip:a@b>' + ';a=b'.repeat(15_000) + '\r\n\r\n'],
    ['no CRLF at all', 'INVITE sip:a@b SIP/2.0 ' + 'x'.repeat(64_000)],
    ['only LF line ends', ('X: y\n').repeat(12_000)],
    ['only CR', '\r'.repeat(64_000)],
    ['60 KB of folds', head + 'X: a' + '\r\n b'.repeat(15_000) + '\r\n\r\n'],
    ['13,000 tiny headers', head + 'a:b\r\n'.repeat(13_000) + '\r\n'],
    ['13,000 Vias in one line', head + 'Via: ' + 'SIP/2.0/UDP h,'.repeat(4_500) + '\r\n\r\n'],
    ['one huge request URI', 'INVITE sip:' + 'a'.repeat(64_000) + ' SIP/2.0\r\n\r\n'],
    ['one huge method', 'A'.repeat(64_000) + ' sip:a@b SIP/2.0\r\n\r\n'],
    ['huge Content-Length digits', head + 'Content-Length: ' + '9'.repeat(60_000) + '\r\n\r\n'],
    ['URI with 60 KB of @', 'INVITE sip:' + '@'.repeat(1000) + ' SIP/2.0\r\n' + head.slice(head.indexOf('\r\n') + 2) + 'Contact: <sip:' + '@'.repeat(50_000) + '>\r\n\r\n'],
  ];
  for (const [name, text] of adversarial) {
    it(`linear time: ${name}`, () => {
      const b = Buffer.from(text, 'latin1');
      expect(b.length).toBeGreaterThan(10_000);
      timed(b, true); // warm up
      const limits = { maxMessageBytes: 1 << 17, maxHeaderLineBytes: 1 << 17, maxHeaders: 1 << 15, maxUriBytes: 1 << 17, maxVias: 1 << 15 };
      const t0 = performance.now();
      touchAll(parseMessage(b, { stream: true, strict: true, limits }));
      expect(performance.now() - t0).toBeLessThan(BOUND_MS);
      expect(timed(b, true)).toBeLessThan(BOUND_MS);
      expect(timed(b, false)).toBeLessThan(BOUND_MS);
    });
  }
});
