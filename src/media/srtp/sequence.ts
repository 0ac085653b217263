// Packet index estimation, RFC 3711 §3.3.1 and Appendix A: from the highest
// index seen so far (ROC || s_l) and a received 16-bit SEQ, guess ROC-1, ROC
// or ROC+1, whichever puts the index nearest s_l.

/**
 * The 48-bit packet index for `seq`, given `top` (highest accepted index, or
 * -1 for a new stream, whose ROC starts at 0). Returns -1 when the guess is
 * ROC-1 at ROC 0: a packet from before the stream began, i.e. too old.
 */
export function estimateIndex(top: number, seq: number): number {
  if (top < 0) return seq;
  const roc = Math.floor(top / 65536);
  const sl = top - roc * 65536;
  let v = roc;
  if (sl < 32768) {
    if (seq - sl > 32768) v = roc - 1;
  } else if (sl - 32768 > seq) {
    v = roc + 1;
  }
  if (v < 0 || v > 0xffffffff) return -1;
  return v * 65536 + seq;
}
