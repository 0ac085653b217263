// Field-level decoding of single lines. Every function takes the line text and
// returns undefined when it does not fit the grammar: callers decide whether
// that is fatal (parse) or just "unknown" (accessors).

import type { Connection, CryptoAttr, Origin } from './types.js';

/** Splits on runs of spaces: RFC 8866 says one space, real bodies sometimes have two. */
export function words(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && s.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && s.charCodeAt(i) !== 32) i++;
    out.push(s.slice(start, i));
  }
  return out;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 §5.2). */
export function parseOrigin(text: string): Origin | undefined {
  const w = words(text.slice(2));
  if (w.length !== 6) return undefined;
  const [username, sessionId, sessionVersion, netType, addrType, address] = w as [string, string, string, string, string, string];
  if (!isDigits(sessionId) || !isDigits(sessionVersion)) return undefined;
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

/** `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7); also the tail of `a=rtcp`. */
export function parseConnectionFields(w: readonly string[]): Connection | undefined {
  if (w.length !== 3) return undefined;
  const [netType, addrType, full] = w as [string, string, string];
  // IPv6 addresses have no slash, IPv4 multicast may carry /ttl[/count].
  const slash = full.indexOf('/');
  const address = slash < 0 ? full : full.slice(0, slash);
  if (address.length === 0) return undefined;
  return { netType, addrType, address, suffix: slash < 0 ? '' : full.slice(slash) };
}

export function parseConnection(text: string): Connection | undefined {
  return parseConnectionFields(words(text.slice(2)));
}

export interface MediaLine {
  readonly type: string;
  readonly port: number;
  readonly portCount: number | undefined;
  readonly proto: string;
  readonly formats: readonly string[];
}

/** `m=<media> <port>[/<number of ports>] <proto> <fmt> ...` (RFC 8866 §5.14). */
export function parseMediaLine(text: string): MediaLine | undefined {
  const w = words(text.slice(2));
  // At least one format is required, but m=application lines with none exist; tolerate.
  if (w.length < 3) return undefined;
  const [type, portField, proto] = w as [string, string, string];
  const slash = portField.indexOf('/');
  const portStr = slash < 0 ? portField : portField.slice(0, slash);
  if (!isDigits(portStr)) return undefined;
  const port = Number(portStr);
  if (port > 65535) return undefined;
  let portCount: number | undefined;
  if (slash >= 0) {
    const c = portField.slice(slash + 1);
    if (!isDigits(c)) return undefined;
    portCount = Number(c);
  }
  return { type, port, portCount, proto, formats: w.slice(3) };
}

/** The attribute name of an `a=` line (`rtpmap` in `a=rtpmap:0 PCMU/8000`), lower-cased: names are case-insensitive in practice. */
export function attrName(text: string): string {
  const colon = text.indexOf(':', 2);
  return (colon < 0 ? text.slice(2) : text.slice(2, colon)).toLowerCase();
}

/** The value after the first ':' ('' when the attribute is a flag). */
export function attrValue(text: string): string {
  const colon = text.indexOf(':', 2);
  return colon < 0 ? '' : text.slice(colon + 1);
}

/** `a=rtcp:<port> [<nettype> <addrtype> <connection-address>]` (RFC 3605 §2.1). */
export function parseRtcp(value: string): { port: number; connection: Connection | undefined } | undefined {
  const w = words(value);
  const p = w[0];
  if (p === undefined || !isDigits(p)) return undefined;
  const port = Number(p);
  if (port > 65535) return undefined;
  if (w.length === 1) return { port, connection: undefined };
  const connection = parseConnectionFields(w.slice(1));
  return connection === undefined ? undefined : { port, connection };
}

/** `a=crypto:<tag> <crypto-suite> <key-params> [<session-params>]` split at the first two spaces only. */
export function splitCrypto(value: string): CryptoAttr | undefined {
  const v = value.trim();
  const s1 = v.indexOf(' ');
  if (s1 <= 0) return undefined;
  let i = s1;
  while (v.charCodeAt(i) === 32) i++;
  const s2 = v.indexOf(' ', i);
  if (s2 < 0) return undefined;
  const tag = v.slice(0, s1);
  const suite = v.slice(i, s2);
  const rest = v.slice(s2).trim();
  if (!isDigits(tag) || rest.length === 0) return undefined;
  return { tag, suite, rest, value };
}
