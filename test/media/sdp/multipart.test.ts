// RFC 5621 / RFC 2046 §5.1: the SDP part of a multipart body, found and put back.
import { describe, expect, it } from 'vitest';
import { locateSdp, parseContentType, parseSdp, rewriteSdp, newLegOrigin, sdpToBuffer, serializeSdp, spliceSdp } from '../../../src/media/sdp/index.js';
import { MULTIPART, MULTIPART_BOUNDARY, MULTIPART_CT, SIPP } from './fixtures.js';

describe('RFC 2046 §5.1 locating the SDP', () => {
  it('application/sdp is the whole body', () => {
    const body = Buffer.from(SIPP);
    expect(locateSdp('application/SDP', body)).toEqual({ ok: true, location: { start: 0, end: body.length, multipart: false } });
  });
  it('Content-Type parameters: quoted boundary, case, spaces', () => {
    expect(parseContentType('Multipart/Mixed ; Boundary="a b"')).toEqual({ type: 'multipart/mixed', boundary: 'a b' });
  });
  it('SIP-I body: SDP first, ISUP binary after; the SDP part parses and round-trips', () => {
    const r = locateSdp(MULTIPART_CT, MULTIPART);
    if (!r.ok) throw new Error(r.detail);
    expect(r.location.multipart).toBe(true);
    const part = MULTIPART.subarray(r.location.start, r.location.end);
    // The CRLF before the delimiter belongs to the delimiter, so the part is SIPP exactly.
    expect(part.toString('latin1')).toBe(SIPP);
    const sdp = parseSdp(part);
    expect(sdp.ok).toBe(true);
    expect(spliceSdp(MULTIPART, r.location, part).equals(MULTIPART)).toBe(true);
  });
  it('put back after a rewrite: everything around it byte for byte', () => {
    const r = locateSdp(MULTIPART_CT, MULTIPART);
    if (!r.ok) throw new Error(r.detail);
    const p = parseSdp(MULTIPART.subarray(r.location.start, r.location.end));
    if (!p.ok) throw new Error(p.detail);
    const rw = rewriteSdp(p.sdp, { address: '203.0.113.50', leg: newLegOrigin({ sessionId: '1' }), media: [{ address: '203.0.113.50', port: 20000 }] });
    if (!rw.ok) throw new Error(rw.detail);
    const out = spliceSdp(MULTIPART, r.location, sdpToBuffer(rw.sdp));
    expect(out.subarray(0, r.location.start).equals(MULTIPART.subarray(0, r.location.start))).toBe(true);
    expect(out.subarray(out.length - (MULTIPART.length - r.location.end)).equals(MULTIPART.subarray(r.location.end))).toBe(true);
    const again = locateSdp(MULTIPART_CT, out);
    expect(again.ok && out.subarray(again.location.start, again.location.end).toString('latin1')).toBe(serializeSdp(rw.sdp));
  });
  it('multipart/alternative with the SDP second, LF-only, nested in multipart/mixed', () => {
    const inner = ['--in', 'Content-Type: text/plain', '', 'hello', '--in', 'Content-Type: application/sdp', '', 'v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', '--in--', ''].join('\n');
    const body = Buffer.from(['--out', 'Content-Type: multipart/alternative; boundary=in', '', inner, '--out--', ''].join('\n'));
    const r = locateSdp('multipart/mixed; boundary=out', body);
    if (!r.ok) throw new Error(r.detail);
    expect(body.subarray(r.location.start, r.location.end).toString()).toBe('v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-');
  });
  it('failures are values', () => {
    const reason = (ct: string, body: string): string => {
      const r = locateSdp(ct, Buffer.from(body));
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason('text/plain', 'x')).toBe('not_sdp');
    expect(reason('multipart/mixed', 'x')).toBe('no_boundary');
    expect(reason('multipart/mixed; boundary=' + 'b'.repeat(71), 'x')).toBe('no_boundary');
    expect(reason('multipart/mixed; boundary=b', 'no delimiter')).toBe('bad_multipart');
    expect(reason('multipart/mixed; boundary=b', '--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n')).toBe('bad_multipart');
    expect(reason('multipart/mixed; boundary=b', '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n')).toBe('no_sdp_part');
    expect(reason(`multipart/mixed; boundary=${MULTIPART_BOUNDARY}`, '--b'.repeat(10))).toBe('bad_multipart');
    const many = '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'.repeat(40) + '--b--\r\n';
    expect(reason('multipart/mixed; boundary=b', many)).toBe('bad_multipart');
  });
  it('a boundary string inside a line is not a delimiter', () => {
    const body = '--b\r\nContent-Type: text/plain\r\n\r\nsee --b here\r\n--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n--b--';
    const r = locateSdp('multipart/mixed;boundary=b', Buffer.from(body));
    expect(r.ok && Buffer.from(body).subarray(r.location.start, r.location.end).toString()).toBe('v=0');
  });
});
