// From and To name the parties, not the network: towards each side the host part of
// the other side's From/To URI becomes ours, while the user part, display name and
// tags (which identify the dialog) pass unchanged.
import { formatNameAddr, parseNameAddr } from '../sip/index.js';

export interface Identity {
  /** The header value without its tag parameter. */
  readonly base: string;
  readonly tag: string | undefined;
}

export function splitTag(value: string): Identity {
  const na = parseNameAddr(value);
  if (!na) return { base: value, tag: undefined };
  if (na.tag === undefined) return { base: value, tag: undefined };
  const params = new Map(na.params);
  params.delete('tag');
  return { base: formatNameAddr({ displayName: na.displayName, rawUri: na.rawUri, params }), tag: na.tag };
}

export function withTag(base: string, tag: string | undefined): string {
  return tag === undefined ? base : `${base};tag=${tag}`;
}

/**
 * The identity with its URI's host replaced by `host` (port and URI parameters
 * dropped: they describe the sender's network). tel: and other URIs carry no host
 * and pass as they are.
 */
export function maskIdentity(value: string, host: string): string {
  const na = parseNameAddr(value);
  const u = na?.uri;
  if (!na || !u || u.scheme === 'tel') return value;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const rawUri = `${u.scheme}:${u.user !== undefined ? `${u.user}@` : ''}${h}`;
  return formatNameAddr({ displayName: na.displayName, rawUri, params: na.params });
}
