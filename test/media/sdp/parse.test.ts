// RFC 8866 §5: lines in order, unknown lines byte for byte, errors as values, limits.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SDP_LIMITS, SDP_ERROR_REASONS, parseSdp, sdpToBuffer, serializeSdp, type Sdp, type SdpErrorReason, type SdpLimits } from '../../../src/media/sdp/index.js';
import { ALL, SIPP, SLOPPY, WEBRTC } from './fixtures.js';

function parse(s: string | Buffer): Sdp {
  const r = parseSdp(s);
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.sdp;
}

function reason(s: string | Buffer, limits?: Partial<SdpLimits>): SdpErrorReason {
  const r = parseSdp(s, limits);
  if (r.ok) throw new Error('expected a failure');
  expect(r.detail.length).toBeGreaterThan(0);
  return r.reason;
}

describe('RFC 8866 §5 round trip', () => {
  for (const [name, body] of Object.entries(ALL)) {
    it(`${name}: an untouched body serializes to the same bytes (string and Buffer)`, () => {
      expect(serializeSdp(parse(body))).toBe(body);
      const bytes = Buffer.from(body, 'utf8');
      expect(sdpToBuffer(parse(bytes)).equals(bytes)).toBe(true);
    });
  }
  it('keeps every line in order, split into session and media sections', () => {
    const sdp = parse(WEBRTC);
    expect(sdp.session.map((l) => l.type).join('')).toBe('vostaa');
    expect(sdp.media).toHaveLength(2);
    expect(sdp.media[0]![0]!.text).toBe('m=audio 54400 RTP/SAVPF 111 103 0 8 126');
    expect(sdp.media[1]![0]!.text).toBe('m=video 54400 RTP/SAVPF 96');
  });
  it('LF-only endings, an unknown x= line and a missing final newline survive', () => {
    const sdp = parse(SLOPPY);
    expect(sdp.session.find((l) => l.type === 'x')?.text).toBe('x=something private');
    expect(sdp.session[0]!.eol).toBe('\n');
    expect(sdp.media[0]!.at(-1)!.eol).toBe('');
  });
  it('non-ASCII bytes in a Buffer come back unchanged (latin1 inside)', () => {
    const bytes = Buffer.concat([Buffer.from(SIPP), Buffer.from('a=x:\xe9\xff\xfe\r\n', 'latin1')]);
    expect(sdpToBuffer(parse(bytes)).equals(bytes)).toBe(true);
  });
  it('blank lines are kept as lines', () => {
    const body = SIPP + '\r\n';
    expect(serializeSdp(parse(body))).toBe(body);
  });
});

describe('RFC 8866 §5 errors are values with a reason', () => {
  it('every reason is listed once', () => {
    expect(new Set(SDP_ERROR_REASONS).size).toBe(SDP_ERROR_REASONS.length);
  });
  it('empty', () => expect(reason('')).toBe('empty'));
  it('bad_version: v= must come first and be 0 (§5.1)', () => {
    expect(reason(SIPP.replace('v=0', 'v=1'))).toBe('bad_version');
    expect(reason(SIPP.replace('v=0\r\n', ''))).toBe('bad_version');
    expect(reason('\r\n' + SIPP)).toBe('bad_version');
  });
  it('bad_line: not <type>=<value>, or control characters', () => {
    expect(reason(SIPP + 'garbage\r\n')).toBe('bad_line');
    expect(reason(SIPP + 'a=x\u0000y\r\n')).toBe('bad_line');
    expect(reason(SIPP + 'a=x\ry\r\n')).toBe('bad_line');
    expect(reason(SIPP + '1=x\r\n')).toBe('bad_line');
  });
  it('bad_origin: o= needs six fields with numeric id and version (§5.2), and must exist', () => {
    expect(reason(SIPP.replace('o=user1 53655765 2353687637 IN IP4 127.0.0.1', 'o=user1 53655765 IN IP4 127.0.0.1'))).toBe('bad_origin');
    expect(reason(SIPP.replace('2353687637', 'x'))).toBe('bad_origin');
    expect(reason(SIPP.replace(/o=.*\r\n/, ''))).toBe('bad_origin');
  });
  it('bad_connection: c= needs three fields (§5.7)', () => {
    expect(reason(SIPP.replace('c=IN IP4 127.0.0.1', 'c=IN IP4'))).toBe('bad_connection');
  });
  it('bad_media: m= needs media, numeric port ≤ 65535, proto (§5.14)', () => {
    expect(reason(SIPP.replace('m=audio 6000 RTP/AVP 0', 'm=audio x RTP/AVP 0'))).toBe('bad_media');
    expect(reason(SIPP.replace('m=audio 6000 RTP/AVP 0', 'm=audio 70000 RTP/AVP 0'))).toBe('bad_media');
    expect(reason(SIPP.replace('m=audio 6000 RTP/AVP 0', 'm=audio 6000'))).toBe('bad_media');
    expect(reason(SIPP.replace('m=audio 6000 RTP/AVP 0', 'm=audio 6000/x RTP/AVP 0'))).toBe('bad_media');
    const r = parseSdp(SIPP.replace('m=audio 6000 RTP/AVP 0', 'm=audio 6000/2 RTP/AVP 0'));
    expect(r.ok).toBe(true);
  });
});

describe('limits', () => {
  it('defaults', () => {
    expect(DEFAULT_SDP_LIMITS).toEqual({ maxBytes: 32768, maxLines: 1024, maxLineBytes: 4096, maxMedia: 16 });
  });
  it('too_large is checked on bytes before any work', () => {
    expect(reason(SIPP, { maxBytes: 10 })).toBe('too_large');
    expect(reason(SIPP + 'a=x:' + 'y'.repeat(40000) + '\r\n')).toBe('too_large');
  });
  it('too_many_lines, line_too_long, too_many_media', () => {
    expect(reason(SIPP, { maxLines: 3 })).toBe('too_many_lines');
    expect(reason(SIPP + 'a=x:' + 'y'.repeat(5000) + '\r\n')).toBe('line_too_long');
    expect(reason(SIPP + 'm=audio 1 RTP/AVP 0\r\n', { maxMedia: 1 })).toBe('too_many_media');
    const r = parseSdp(SIPP + 'a=x\r\n'.repeat(1100));
    expect(r.ok ? 'ok' : r.reason).toBe('too_many_lines');
  });
  it('a failure names the line', () => {
    const r = parseSdp(SIPP + 'garbage\r\n');
    expect(r.ok ? 0 : r.line).toBe(8);
  });
});
