// SRTP offer/answer policy: RFC 3264 §6 (answer proto = offer proto), RFC 4568 §7 (SDES offer/answer), best-effort SRTP.
import { describe, expect, it } from 'vitest';
import { checkAnswer, decideOffer, offerFor, protoFamily, type OfferDecision, type SrtpPolicy } from '../../../src/media/sdp/index.js';

const line = (proto: string, crypto: boolean, port = 4000) => ({ proto, crypto, port });
const summary = (d: OfferDecision): string => {
  if (!d.ok) return `488 ${d.reason}`;
  const m = d.media[0]!;
  if (m.kind !== 'relay') return m.kind;
  return `answer ${m.answer.proto}${m.answer.crypto ? '+crypto' : ''} / offer ${m.offer.proto}${m.offer.crypto ? '+crypto' : ''}`;
};

describe('RFC 4568 §7 offers against the offering side\'s policy', () => {
  // [offer proto, offer has crypto, offerer policy, receiver policy, expected]
  const table: [string, boolean, SrtpPolicy, SrtpPolicy, string][] = [
    ['RTP/SAVP', true, 'required', 'off', 'answer RTP/SAVP+crypto / offer RTP/AVP'],
    ['RTP/SAVP', true, 'optional', 'off', 'answer RTP/SAVP+crypto / offer RTP/AVP'],
    ['RTP/SAVP', true, 'off', 'off', '488 srtp_refused'],
    ['RTP/SAVP', false, 'required', 'off', '488 no_crypto'],
    ['RTP/SAVP', false, 'optional', 'off', '488 no_crypto'],
    // Best-effort SRTP: RTP/AVP carrying a=crypto.
    ['RTP/AVP', true, 'required', 'off', 'answer RTP/AVP+crypto / offer RTP/AVP'],
    ['RTP/AVP', true, 'optional', 'off', 'answer RTP/AVP+crypto / offer RTP/AVP'],
    ['RTP/AVP', true, 'off', 'off', 'answer RTP/AVP / offer RTP/AVP'],
    ['RTP/AVP', false, 'required', 'off', '488 srtp_required'],
    ['RTP/AVP', false, 'optional', 'off', 'answer RTP/AVP / offer RTP/AVP'],
    ['RTP/AVP', false, 'off', 'off', 'answer RTP/AVP / offer RTP/AVP'],
    // What is forwarded follows the receiver's policy.
    ['RTP/AVP', false, 'off', 'required', 'answer RTP/AVP / offer RTP/SAVP+crypto'],
    ['RTP/AVP', false, 'off', 'optional', 'answer RTP/AVP / offer RTP/AVP+crypto'],
    ['RTP/SAVP', true, 'required', 'required', 'answer RTP/SAVP+crypto / offer RTP/SAVP+crypto'],
    // Feedback profiles keep their F on both legs.
    ['RTP/SAVPF', true, 'optional', 'off', 'answer RTP/SAVPF+crypto / offer RTP/AVPF'],
    ['RTP/AVPF', false, 'off', 'required', 'answer RTP/AVPF / offer RTP/SAVPF+crypto'],
    ['rtp/avp', false, 'off', 'off', 'answer rtp/avp / offer RTP/AVP'],
    // Not ours to relay or not subject to SRTP.
    ['UDP/TLS/RTP/SAVPF', false, 'required', 'off', 'unsupported'],
    ['TCP/MSRP', false, 'required', 'off', 'unsupported'],
    ['udptl', false, 'required', 'required', 'passthrough'],
  ];
  for (const [proto, crypto, a, b, want] of table) {
    it(`${proto}${crypto ? '+crypto' : ''}, offerer ${a}, receiver ${b} → ${want}`, () => {
      expect(summary(decideOffer([line(proto, crypto)], a, b))).toBe(want);
    });
  }
  it('a rejected stream (port 0) is never a reason to refuse', () => {
    const d = decideOffer([line('RTP/AVP', false), line('RTP/AVP', false, 0)], 'optional', 'off');
    expect(d.ok && d.media.map((m) => m.kind)).toEqual(['relay', 'rejected']);
    expect(decideOffer([line('RTP/SAVP', true), line('RTP/AVP', false, 0)], 'required', 'off').ok).toBe(true);
  });
  it('one active stream below policy refuses the whole offer with 488, naming the line', () => {
    const d = decideOffer([line('RTP/SAVP', true), line('RTP/AVP', false)], 'required', 'off');
    expect(d).toMatchObject({ ok: false, status: 488, reason: 'srtp_required', index: 1 });
  });
  it('offerFor', () => {
    expect(offerFor('required', false)).toEqual({ proto: 'RTP/SAVP', crypto: true });
    expect(offerFor('optional', true)).toEqual({ proto: 'RTP/AVPF', crypto: true });
    expect(offerFor('off', false)).toEqual({ proto: 'RTP/AVP', crypto: false });
  });
  it('protoFamily', () => {
    expect(protoFamily('RTP/SAVPF')).toEqual({ family: 'savp', feedback: true });
    expect(protoFamily('UDPTL').family).toBe('udp');
  });
});

describe('RFC 4568 §7.1.3 answers to what we offered', () => {
  it('best effort answered with crypto is SRTP, without is plain RTP', () => {
    const offered = offerFor('optional', false);
    expect(checkAnswer(offered, line('RTP/AVP', true), 'optional')).toEqual({ ok: true, rejected: false, srtp: true });
    expect(checkAnswer(offered, line('RTP/AVP', false), 'optional')).toEqual({ ok: true, rejected: false, srtp: false });
  });
  it('RTP/SAVP answered without crypto fails; a plain answer to an SRTP offer fails', () => {
    const offered = offerFor('required', false);
    expect(checkAnswer(offered, line('RTP/SAVP', false), 'required')).toMatchObject({ ok: false, reason: 'no_crypto' });
    expect(checkAnswer(offered, line('RTP/AVP', false), 'required')).toMatchObject({ ok: false, reason: 'proto_mismatch' });
    expect(checkAnswer(offered, line('RTP/SAVP', true), 'required')).toEqual({ ok: true, rejected: false, srtp: true });
  });
  it('crypto in an answer to an offer without it is ignored; port 0 is a rejection', () => {
    expect(checkAnswer(offerFor('off', false), line('RTP/AVP', true), 'off')).toEqual({ ok: true, rejected: false, srtp: false });
    expect(checkAnswer(offerFor('required', false), line('RTP/SAVP', false, 0), 'required')).toEqual({ ok: true, rejected: true, srtp: false });
  });
});

describe('offeredMedia: from parsed SDP to the policy input', () => {
  it('baresip offer: SAVP with crypto; the SDES check can veto every line', async () => {
    const { parseSdp, mediaInfos, offeredMedia } = await import('../../../src/media/sdp/index.js');
    const { BARESIP } = await import('./fixtures.js');
    const r = parseSdp(BARESIP);
    if (!r.ok) throw new Error(r.detail);
    expect(offeredMedia(mediaInfos(r.sdp))).toEqual([{ proto: 'RTP/SAVP', port: 10370, crypto: true }]);
    const none = offeredMedia(mediaInfos(r.sdp), () => false);
    expect(decideOffer(none, 'required', 'off')).toMatchObject({ ok: false, reason: 'no_crypto' });
    const only32 = offeredMedia(mediaInfos(r.sdp), (v) => v.includes('_32 '));
    expect(only32[0]!.crypto).toBe(true);
  });
});
