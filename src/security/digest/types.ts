// The vocabulary of SIP digest authentication (RFC 3261 §22, RFC 7616, RFC 8760),
// shared by the client side (answering a carrier's challenge) and the server
// side (challenging and verifying callers).

/** The algorithms RFC 8760 §2 lets SIP use; names as written on the wire. */
export type Algorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

/** Hash family underneath an algorithm: the -sess variant shares its HA1 with the plain one. */
export type HashName = 'MD5' | 'SHA-256' | 'SHA-512-256';

export type Qop = 'auth' | 'auth-int';

/** What is hashed into the response besides the secret. */
export interface DigestInput {
  algorithm: Algorithm;
  /** HA1 of the plain (non -sess) algorithm, lowercase hex: H(username:realm:password). */
  ha1: string;
  nonce: string;
  method: string;
  uri: string;
  /** Absent for RFC 2069-style responses (no cnonce, no nc). */
  qop?: Qop;
  /** Required when qop is set or the algorithm is -sess. */
  cnonce?: string;
  /** 8 lowercase hex digits, as sent. */
  nc?: string;
  /** Message body for qop=auth-int; absent means empty. */
  body?: Buffer;
}

/** The replay guard: true the first time (nonce, nc) is acceptable, false on a replay. */
export interface NcTracker {
  checkAndRecord(nonce: string, nc: number): Promise<boolean> | boolean;
}

export type NonceCheck = 'ok' | 'stale' | 'invalid';

export interface NonceManager {
  /** A fresh nonce bound to this source address and realm. */
  issue(source: string, realm: string): string;
  check(nonce: string, source: string, realm: string): NonceCheck;
  /** How long a nonce is 'ok' after issue. */
  readonly ttlMs: number;
  /** Clock skew tolerated between instances: a nonce can be 'ok' up to ttlMs + skewMs after it is first seen. */
  readonly skewMs: number;
}
