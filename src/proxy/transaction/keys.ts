// Transaction keys (RFC 3261 §17.1.3, §17.2.3). The core extracts the fields; the
// layer only needs a string that is equal exactly when the RFC says two messages
// belong to one transaction. NUL separates the parts because it cannot occur in
// any SIP token, so no two different field tuples produce the same key.

const SEP = '\u0000';

/**
 * §17.2.3 server key for requests whose top Via branch starts with the z9hG4bK
 * magic cookie: branch, sent-by and method, with ACK mapped to INVITE so the ACK
 * for a non-2xx final finds its INVITE transaction. CANCEL keeps its own method,
 * so it is a transaction of its own next to the INVITE it cancels (§9.2).
 * sent-by is "host[:port]" as it appears in the Via; hosts compare
 * case-insensitively, so it is lowercased. The branch is compared exactly: a
 * retransmission copies the Via byte for byte.
 */
export function serverKey(branch: string, sentBy: string, method: string): string {
  return branch + SEP + sentBy.toLowerCase() + SEP + (method === 'ACK' ? 'INVITE' : method);
}

/**
 * §17.1.3 client key: the branch we put in our Via and the CSeq method. A CANCEL
 * carries the branch of the INVITE it cancels (§9.1) and so differs only by method.
 */
export function clientKey(branch: string, method: string): string {
  return branch + SEP + (method === 'ACK' ? 'INVITE' : method);
}

/** The fields §17.2.3 falls back to for RFC 2543 requests (no magic cookie). */
export interface LegacyKeyFields {
  readonly callId: string;
  /** the CSeq sequence number (its method is given separately) */
  readonly cseq: number;
  readonly fromTag: string;
  /** the whole top Via header value, as received */
  readonly topVia: string;
  readonly method: string;
}

/**
 * Key for requests without the z9hG4bK cookie. The full §17.2.3 rule also compares
 * Request-URI and To tag; both are left out because the ACK for a non-2xx final
 * carries the To tag the server added, and matching it to its INVITE is the whole
 * point. Call-ID, CSeq number, From tag and top Via together still separate
 * transactions from well-behaved RFC 2543 peers, which are rare today.
 * The prefix keeps these keys apart from branch keys.
 */
export function legacyServerKey(f: LegacyKeyFields): string {
  return '2543' + SEP + f.callId + SEP + f.cseq + SEP + f.fromTag + SEP + f.topVia + SEP +
    (f.method === 'ACK' ? 'INVITE' : f.method);
}

/** §8.1.1.7: branches minted by RFC 3261 elements start with this cookie. */
export const MAGIC_COOKIE = 'z9hG4bK';

export function hasMagicCookie(branch: string): boolean {
  return branch.startsWith(MAGIC_COOKIE);
}
