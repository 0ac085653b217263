import { describe, expect, it } from 'vitest';
import { parseSdp, rewriteSdp, newLegOrigin } from '../../../src/media/sdp/index.js';

describe('RFC 5576 a=ssrc lines never cross (their CNAME names the sender\'s address)', () => {
  it('drops a=ssrc and a=ssrc-group at media and session level, keeps everything else', () => {
    const body = [
      'v=0', 'o=- 1 1 IN IP4 10.1.1.5', 's=-', 'c=IN IP4 10.1.1.5', 't=0 0',
      'a=ssrc-group:FID 11 22',
      'm=audio 4000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
      'a=ssrc:1234 cname:sip:alice@10.1.1.5', 'a=sendrecv', '',
    ].join('\r\n');
    const parsed = parseSdp(body);
    if (!parsed.ok) throw new Error(parsed.detail);
    const r = rewriteSdp(parsed.sdp, { address: '192.0.2.1', leg: newLegOrigin({ sessionId: '7' }), media: [{ address: '192.0.2.1', port: 30000, rtcpPort: 30001 }] });
    if (!r.ok) throw new Error('rewrite failed');
    expect(r.text).not.toMatch(/a=ssrc/);
    expect(r.text).not.toContain('10.1.1.5');
    expect(r.text).toContain('a=rtpmap:101 telephone-event/8000');
    expect(r.text).toContain('a=sendrecv');
  });
});
