// Every limit and every ParseErrorReason, with what a caller can do next.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STREAM_LIMITS, DEFAULT_UDP_LIMITS, PARSE_ERROR_REASONS, parseMessage, type ParseErrorReason, type ParseOptions } from '../../src/sip/index.js';
import { BYE, INVITE, OK200 } from '../../bench/mix.js';

function reason(s: string | Buffer, opts?: ParseOptions): { reason: ParseErrorReason; canReply: boolean; partial: boolean } {
  const r = parseMessage(typeof s === 'string' ? Buffer.from(s, 'latin1') : s, opts);
  if (r.ok) throw new Error('expected a failure');
  return { reason: r.reason, canReply: r.canReply, partial: r.partial !== undefined };
}

const withHeader = (s: string, line: string): string => s.replace('Max-Forwards:', `${line}\r\nMax-Forwards:`);

describe('defaults', () => {
  it('match the design: 16 KiB datagrams, 64 KiB streams, 256 headers, 8 KiB lines, 32 Vias, 2 KiB URIs', () => {
    expect(DEFAULT_UDP_LIMITS).toEqual({ maxMessageBytes: 16384, maxHeaders: 256, maxHeaderLineBytes: 8192, maxVias: 32, maxUriBytes: 2048 });
    expect(DEFAULT_STREAM_LIMITS.maxMessageBytes).toBe(65536);
  });
  it('a datagram limit above the UDP payload maximum is clamped to 65,507', () => {
    const big = Buffer.from(BYE.replace('Content-Length: 0', 'Content-Length: 65400') + 'x'.repeat(65400));
    expect(parseMessage(big, { limits: { maxMessageBytes: 1 << 20 } }).ok).toBe(false);
    expect(parseMessage(big, { stream: true, limits: { maxMessageBytes: 1 << 20 } }).ok).toBe(true);
  });
});

describe('RFC 3261 limits (each its own reason)', () => {
  it('too_large: over maxMessageBytes, still replyable (413) when the head fits', () => {
    const s = INVITE.replace(/Content-Length: \d+/, 'Content-Length: 20000') + 'x'.repeat(20000);
    expect(reason(s)).toEqual({ reason: 'too_large', canReply: true, partial: true });
    expect(parseMessage(Buffer.from(s), { stream: true }).ok).toBe(true); // within the 64 KiB stream default
    expect(reason('INVITE sip:a@b SIP/2.0\r\n' + `X: ${'y'.repeat(100)}\r\n`.repeat(200))).toMatchObject({ reason: 'too_large', canReply: false });
  });
  it('too_many_headers', () => {
    const s = withHeader(INVITE, Array.from({ length: 300 }, (_, i) => `X-H${i}: v`).join('\r\n'));
    expect(reason(s).reason).toBe('too_many_headers');
    expect(parseMessage(Buffer.from(s), { limits: { maxHeaders: 400 } }).ok).toBe(true);
  });
  it('header_too_long, also for folded lines and the start line', () => {
    expect(reason(withHeader(INVITE, 'X-Long: ' + 'a'.repeat(9000))).reason).toBe('header_too_long');
    expect(reason(withHeader(INVITE, 'X-Long: a' + '\r\n b'.repeat(3000))).reason).toBe('header_too_long');
    expect(reason(INVITE.replace('INVITE sip:', 'INVITE sip:' + 'u'.repeat(9000))).reason).toBe('header_too_long');
    expect(reason(withHeader(INVITE, 'X-Long: ' + 'a'.repeat(200)), { limits: { maxHeaderLineBytes: 100 } }).reason).toBe('header_too_long');
  });
  it('too_many_vias counts list elements, not lines', () => {
    const vias = Array.from({ length: 33 }, (_, i) => `SIP/2.0/UDP h${i}.example.com;branch=z9hG4bK${i}`).join(', ');
    expect(reason(withHeader(BYE, `Via: ${vias}`))).toMatchObject({ reason: 'too_many_vias', canReply: true });
    expect(reason(BYE, { limits: { maxVias: 0 } }).reason).toBe('too_many_vias');
  });
  it('uri_too_long', () => {
    expect(reason(INVITE.replace('sip:bob@', 'sip:' + 'b'.repeat(3000) + '@'))).toMatchObject({ reason: 'uri_too_long', canReply: true });
    expect(reason(BYE, { limits: { maxUriBytes: 10 } }).reason).toBe('uri_too_long');
  });
});

describe('RFC 3261 §7, §8.1.1, §18.3, §20 error reasons', () => {
  it('empty', () => {
    expect(reason('').reason).toBe('empty');
    expect(reason('\r\n\r\n').reason).toBe('empty');
  });
  it('incomplete: no empty line after the headers', () => {
    expect(reason(BYE.slice(0, 60)).reason).toBe('incomplete');
    expect(reason('OPTIONS sip:a@b SIP/2.0').reason).toBe('incomplete');
  });
  it('bad_binary: not text at all', () => {
    expect(reason(Buffer.from([0x00, 0x01, 0x00, 0x50, 0x21, 0x12, 0xa4, 0x42])).reason).toBe('bad_binary'); // STUN
    expect(reason(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])).reason).toBe('bad_binary'); // TLS ClientHello
  });
  it('bad_start_line', () => {
    for (const l of ['INVITE sip:a@b', 'INVITE sip:a@b HTTP/1.1', 'SIP/2.0 2000 OK', 'SIP/2.0 99 Low', 'SIP/2.0 abc OK', 'INV(ITE sip:a@b SIP/2.0', 'GET / HTTP/1.1']) {
      expect(reason(BYE.replace(/^.*\r\n/, l + '\r\n')).reason).toBe('bad_start_line');
    }
  });
  it('bad_version: replyable with 505 (RFC 3261 §8.2.2.x / §21.5.6)', () => {
    expect(reason(BYE.replace('SIP/2.0\r\n', 'SIP/3.0\r\n'))).toEqual({ reason: 'bad_version', canReply: true, partial: true });
    expect(reason(OK200.replace('SIP/2.0 200', 'SIP/1.0 200'))).toMatchObject({ reason: 'bad_version', canReply: false });
  });
  it('bad_uri', () => {
    expect(reason(BYE.replace('BYE sip:alice@pc33.atlanta.example.com', 'BYE alice@pc33')).reason).toBe('bad_uri');
    expect(reason(BYE.replace('BYE sip:alice@pc33.atlanta.example.com', 'BYE sip:alice@[::1'), { strict: true }).reason).toBe('bad_uri');
  });
  it('bad_header: no colon, bare LF, bare CR, leading continuation', () => {
    expect(reason(withHeader(BYE, 'NoColonHere')).reason).toBe('bad_header');
    expect(reason(withHeader(BYE, 'X-A: 1\nX-B: 2')).reason).toBe('bad_header');
    expect(reason(withHeader(BYE, 'X-A: 1\rX-B: 2')).reason).toBe('bad_header');
    expect(reason(BYE.replace('\r\nVia:', '\r\n Via:')).reason).toBe('bad_header');
    expect(reason(withHeader(BYE, 'Bad Name: x')).reason).toBe('bad_header');
  });
  it('duplicate_header for once-only headers', () => {
    for (const h of ['To: <sip:x@y>', 'From: <sip:x@y>;tag=1', 'Call-ID: other', 'CSeq: 1 BYE', 'Max-Forwards: 3']) {
      expect(reason(withHeader(BYE, h))).toMatchObject({ reason: 'duplicate_header', canReply: true });
    }
  });
  it('missing_header for each mandatory header; canReply only when Via, From, To, Call-ID, CSeq remain', () => {
    for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      const s = BYE.replace(new RegExp(`^${h}: .*\\r\\n`, 'm'), '');
      expect(reason(s)).toMatchObject({ reason: 'missing_header', canReply: false, partial: true });
    }
  });
  it('bad_cseq and cseq_method_mismatch', () => {
    expect(reason(BYE.replace('CSeq: 231 BYE', 'CSeq: 2147483648 BYE')).reason).toBe('bad_cseq');
    expect(reason(BYE.replace('CSeq: 231 BYE', 'CSeq: two BYE')).reason).toBe('bad_cseq');
    expect(reason(BYE.replace('CSeq: 231 BYE', 'CSeq: 231 bye')).reason).toBe('cseq_method_mismatch');
  });
  it('bad_max_forwards', () => {
    expect(reason(BYE.replace('Max-Forwards: 70', 'Max-Forwards: 256')).reason).toBe('bad_max_forwards');
    expect(reason(BYE.replace('Max-Forwards: 70', 'Max-Forwards: -1')).reason).toBe('bad_max_forwards');
  });
  it('bad_content_length and body_truncated', () => {
    expect(reason(BYE.replace('Content-Length: 0', 'Content-Length: 1e3')).reason).toBe('bad_content_length');
    expect(reason(BYE.replace('Content-Length: 0', 'Content-Length: 99999999999')).reason).toBe('bad_content_length');
    expect(reason(BYE.replace('Content-Length: 0', 'Content-Length: 10'))).toMatchObject({ reason: 'body_truncated', canReply: true });
  });
  it('bad_via', () => {
    expect(reason(BYE.replace('Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashds10', 'Via: SIP/2.0/UDP'))).toMatchObject({ reason: 'bad_via', canReply: false });
    expect(reason(BYE.replace(';branch=z9hG4bKnashds10', ';branch=z9hG4bKnashds10, junk'))).toMatchObject({ reason: 'bad_via', canReply: true });
  });
  it('ACK is never replyable', () => {
    const ack = BYE.replace(/BYE/g, 'ACK');
    expect(reason(ack.replace('CSeq: 231 ACK', 'CSeq: 231 BYE')).canReply).toBe(false);
  });
  it('every reason is a snake_case label and covered above', () => {
    for (const r of PARSE_ERROR_REASONS) expect(r).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(new Set(PARSE_ERROR_REASONS).size).toBe(PARSE_ERROR_REASONS.length);
  });
});
