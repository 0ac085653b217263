// SRTP offer/answer policy (RFC 3264 §5–6, RFC 4568 §7). Palisade terminates
// SRTP, so each leg is negotiated on its own: the offering side is answered
// according to its policy, the offer forwarded to the other side is built
// according to that side's policy. Pure functions of protos and flags.

import type { MediaInfo } from './types.js';

export type SrtpPolicy = 'required' | 'optional' | 'off';

/** What the policy needs of one offered m= line. */
export interface OfferedMedia {
  readonly proto: string;
  readonly port: number;
  /** At least one `a=crypto` line the SDES module can use (suite known, key well formed). */
  readonly crypto: boolean;
}

/** What we present on one leg for one m= line. */
export interface LegPresentation {
  /** The proto for the m= line. */
  readonly proto: string;
  /** We put our own `a=crypto` on this leg (answer: the chosen suite; offer: our suites). */
  readonly crypto: boolean;
}

export type MediaDecision =
  /** Port 0 in the offer: forward and answer with port 0, proto unchanged (RFC 3264 §6). */
  | { readonly kind: 'rejected'; readonly proto: string }
  /** Not RTP we can relay (DTLS-SRTP, TCP, …): answer port 0, forward port 0. */
  | { readonly kind: 'unsupported'; readonly proto: string }
  /** Plain UDP that carries no RTP profile (T.38 udptl): relayed as is, SRTP policy does not apply. */
  | { readonly kind: 'passthrough'; readonly proto: string }
  | {
      readonly kind: 'relay';
      /** Our answer towards the side that sent the offer. */
      readonly answer: LegPresentation;
      /** The offer we forward to the other side. */
      readonly offer: LegPresentation;
      /** The offerer's stream will be SRTP once answered. */
      readonly offererSrtp: boolean;
    };

export type OfferRefusal = 'srtp_required' | 'srtp_refused' | 'no_crypto';

export type OfferDecision =
  | { readonly ok: true; readonly media: readonly MediaDecision[] }
  | { readonly ok: false; readonly status: 488; readonly reason: OfferRefusal; readonly index: number; readonly detail: string };

export type ProtoFamily = 'avp' | 'savp' | 'dtls' | 'udp' | 'other';

/** Classifies a proto token; case-insensitive because real UAs vary. */
export function protoFamily(proto: string): { family: ProtoFamily; feedback: boolean } {
  const p = proto.toUpperCase();
  switch (p) {
    case 'RTP/AVP': return { family: 'avp', feedback: false };
    case 'RTP/AVPF': return { family: 'avp', feedback: true };
    case 'RTP/SAVP': return { family: 'savp', feedback: false };
    case 'RTP/SAVPF': return { family: 'savp', feedback: true };
    case 'UDP/TLS/RTP/SAVP': return { family: 'dtls', feedback: false };
    case 'UDP/TLS/RTP/SAVPF': return { family: 'dtls', feedback: true };
    case 'UDPTL': case 'UDP': return { family: 'udp', feedback: false };
    default: return { family: 'other', feedback: false };
  }
}

function proto(savp: boolean, feedback: boolean): string {
  return (savp ? 'RTP/SAVP' : 'RTP/AVP') + (feedback ? 'F' : '');
}

/**
 * Would the offerer's side (`offererPolicy`) accept this line, and is it SRTP then?
 * RFC 4568 §7.1.2: an RTP/SAVP offer without usable crypto cannot be answered with
 * SRTP; best-effort SRTP (RTP/AVP with a=crypto) is answered with or without crypto.
 */
function answerSide(m: OfferedMedia, family: 'avp' | 'savp', offererPolicy: SrtpPolicy): { srtp: boolean } | { refuse: OfferRefusal; detail: string } {
  if (family === 'savp') {
    if (offererPolicy === 'off') return { refuse: 'srtp_refused', detail: `${m.proto} offered where SRTP is off` };
    if (!m.crypto) return { refuse: 'no_crypto', detail: `${m.proto} without a usable a=crypto` };
    return { srtp: true };
  }
  if (m.crypto && offererPolicy !== 'off') return { srtp: true };
  if (offererPolicy === 'required') return { refuse: 'srtp_required', detail: `${m.proto} without a usable a=crypto where SRTP is required` };
  return { srtp: false };
}

/** What we offer towards a side: required → RTP/SAVP, optional → best-effort RTP/AVP + a=crypto, off → RTP/AVP. */
export function offerFor(policy: SrtpPolicy, feedback: boolean): LegPresentation {
  return { proto: proto(policy === 'required', feedback), crypto: policy !== 'off' };
}

/**
 * Decides an incoming offer. `offererPolicy` is the SRTP policy of the side the
 * offer came from, `receiverPolicy` that of the side it goes to. Any active line
 * the offerer's policy refuses makes the whole offer a 488 (the operator's
 * policy is about the call, not one stream of it).
 */
export function decideOffer(offered: readonly OfferedMedia[], offererPolicy: SrtpPolicy, receiverPolicy: SrtpPolicy): OfferDecision {
  const media: MediaDecision[] = [];
  for (let i = 0; i < offered.length; i++) {
    const m = offered[i]!;
    if (m.port === 0) {
      media.push({ kind: 'rejected', proto: m.proto });
      continue;
    }
    const { family, feedback } = protoFamily(m.proto);
    if (family === 'udp') {
      media.push({ kind: 'passthrough', proto: m.proto });
      continue;
    }
    if (family === 'dtls' || family === 'other') {
      media.push({ kind: 'unsupported', proto: m.proto });
      continue;
    }
    const a = answerSide(m, family, offererPolicy);
    if ('refuse' in a) return { ok: false, status: 488, reason: a.refuse, index: i, detail: a.detail };
    media.push({
      kind: 'relay',
      // RFC 3264 §6: the answer's proto equals the offer's; security lives in a=crypto.
      answer: { proto: m.proto, crypto: a.srtp },
      offer: offerFor(receiverPolicy, feedback),
      offererSrtp: a.srtp,
    });
  }
  return { ok: true, media };
}

/** What the answering side said for one line we offered. */
export interface AnsweredMedia {
  readonly proto: string;
  readonly port: number;
  readonly crypto: boolean;
}

export type AnswerDecision =
  | { readonly ok: true; readonly rejected: boolean; readonly srtp: boolean }
  | { readonly ok: false; readonly reason: 'proto_mismatch' | 'no_crypto' | 'srtp_required'; readonly detail: string };

/**
 * Checks the answer to a line we offered with `offered` under `policy` (the answering
 * side's). A best-effort offer answered without crypto is plain RTP; an RTP/SAVP offer
 * answered without crypto, or any answer that drops below `required`, fails the call.
 */
export function checkAnswer(offered: LegPresentation, answer: AnsweredMedia, policy: SrtpPolicy): AnswerDecision {
  if (answer.port === 0) return { ok: true, rejected: true, srtp: false };
  if (protoFamily(answer.proto).family !== protoFamily(offered.proto).family) {
    return { ok: false, reason: 'proto_mismatch', detail: `offered ${offered.proto}, answered ${answer.proto}` };
  }
  const srtp = offered.crypto && answer.crypto;
  if (protoFamily(offered.proto).family === 'savp' && !srtp) return { ok: false, reason: 'no_crypto', detail: `${answer.proto} answered without a usable a=crypto` };
  if (policy === 'required' && !srtp) return { ok: false, reason: 'srtp_required', detail: 'answer without SRTP where SRTP is required' };
  return { ok: true, rejected: false, srtp };
}

/**
 * The policy's view of a parsed offer. `usable` says whether one a=crypto value
 * is acceptable (suite known, key well formed: src/media/srtp/sdes decides);
 * by default any syntactically split line counts.
 */
export function offeredMedia(infos: readonly MediaInfo[], usable?: (value: string) => boolean): OfferedMedia[] {
  return infos.map((m) => ({
    proto: m.proto,
    port: m.port,
    crypto: usable === undefined ? m.crypto.length > 0 : m.crypto.some((c) => usable(c.value)),
  }));
}
