// Sdp → body. Lines are written back exactly as stored, so an untouched parse
// round-trips byte for byte.

import type { Sdp, SdpLine } from './types.js';

export function serializeSdp(sdp: Sdp): string {
  let out = '';
  for (const l of sdp.session) out += l.text + l.eol;
  for (const m of sdp.media) for (const l of m) out += l.text + l.eol;
  return out;
}

/** Encodes as the body came in: latin1 for a Buffer-parsed body (byte identity), UTF-8 for a string. */
export function sdpToBuffer(sdp: Sdp): Buffer {
  return Buffer.from(serializeSdp(sdp), sdp.binary ? 'latin1' : 'utf8');
}

/** The line ending the body mostly uses, for lines we add: CRLF unless the body is LF-only. */
export function dominantEol(sdp: Sdp): string {
  const first: SdpLine | undefined = sdp.session[0];
  return first !== undefined && first.eol === '\n' ? '\n' : '\r\n';
}
