// What we put in o= on one leg, and the RFC 3264 §8 version rule: a body that
// differs from the previous one we sent on this leg carries sess-version + 1, a
// body identical to it keeps the same version. State is a plain value the dialog
// keeps per leg; every stamp returns the next value (no hidden mutation).

export interface LegOrigin {
  /** o= username we present: '-' by default, so no internal user or host name leaks. */
  readonly username: string;
  /** o= sess-id: fixed for the life of the leg (RFC 8866 §5.2). */
  readonly sessionId: string;
  /** The version carried by the last body sent (or the first one to send). */
  readonly version: bigint;
  /** The last body sent, with the version field blanked; undefined before the first. */
  readonly lastContent: string | undefined;
}

export interface LegOriginInit {
  sessionId: string;
  /** Version of the first body; default 0 … any 64-bit value works, RFC 8866 only wants it to increase. */
  version?: bigint;
  username?: string;
}

export function newLegOrigin(init: LegOriginInit): LegOrigin {
  return { username: init.username ?? '-', sessionId: init.sessionId, version: init.version ?? 0n, lastContent: undefined };
}

/**
 * The version for `content` (the body with its version field blanked) and the
 * leg state to keep once the body is actually sent.
 */
export function stampVersion(leg: LegOrigin, content: string): { version: bigint; leg: LegOrigin } {
  if (leg.lastContent === undefined) return { version: leg.version, leg: { ...leg, lastContent: content } };
  if (leg.lastContent === content) return { version: leg.version, leg };
  // sess-version is a 64-bit field in practice (RFC 8866 §5.2 allows any digits); wrap rather than grow without bound.
  const version = (leg.version + 1n) & 0xffffffffffffffffn;
  return { version, leg: { ...leg, version, lastContent: content } };
}
