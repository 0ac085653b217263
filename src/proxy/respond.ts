// Where a response to a received request goes, and sending it there.
// Streams: the connection the request came on (RFC 3261 §18.2.2). UDP: the source
// address of the request, at its source port when the top Via asks with ;rport
// (RFC 3581 §4) or when forceRport is on, else at the Via's sent-by port.
import { buildResponse, withReceived, type SipMessage } from '../sip/index.js';
import type { TransportManager } from '../transport/index.js';
import type { Destination, Source } from '../transport/types.js';

export function responseDestination(req: SipMessage, source: Source, forceRport: boolean): Destination {
  if (source.transport !== 'udp') {
    return { listenerId: source.listenerId, remoteAddress: source.remoteAddress, remotePort: source.remotePort, connectionId: source.connectionId };
  }
  const via = req.topVia();
  const symmetric = forceRport || via === undefined || via.rport !== undefined;
  const port = symmetric ? source.remotePort : (via.port ?? 5060);
  return { listenerId: source.listenerId, remoteAddress: source.remoteAddress, remotePort: port };
}

/**
 * Records on the request's top Via where it really came from (RFC 3261 §18.2.1,
 * RFC 3581 §4), so the copies in every response we build carry it.
 */
export function stampReceived(req: SipMessage, source: Source): void {
  const top = req.headerValues('via')[0];
  if (top === undefined) return;
  req.replaceTopVia(withReceived(top, source.remoteAddress, source.remotePort));
}

export function replyTo(
  transports: Pick<TransportManager, 'send'>,
  req: SipMessage,
  source: Source,
  status: number,
  reason: string,
  opts: { headers?: Array<[string, string]>; forceRport: boolean },
): boolean {
  stampReceived(req, source);
  const bytes = buildResponse(req, status, reason, { headers: opts.headers });
  return transports.send(responseDestination(req, source, opts.forceRport), bytes);
}
