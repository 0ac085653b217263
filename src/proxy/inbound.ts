// Step 1's request handling after the transport: parse, count, answer what the SBC
// answers itself (OPTIONS pings), refuse malformed input with a clear status, and
// give everything it cannot route yet a definite final answer instead of silence.
import type { Logger } from 'pino';
import type { PalisadeConfig } from '../config/schema.js';
import { createSampledLog } from '../observability/logger.js';
import { messageKind, type Metrics } from '../observability/metrics.js';
import { parseMessage, type ParseErrorReason, type SipMessage } from '../sip/index.js';
import type { InboundMessage, Source } from '../transport/types.js';
import type { TransportManager } from '../transport/index.js';
import { replyTo } from './respond.js';
import type { SelfMatcher } from './self.js';

export interface InboundDeps {
  config: PalisadeConfig;
  logger: Logger;
  metrics: Metrics;
  transports: Pick<TransportManager, 'send'>;
  isSelf: SelfMatcher;
}

/** Methods a later step routes; for now they get 404 rather than 501. */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE',
  'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);
export const ALLOW = 'OPTIONS';

/** The status that best explains each parse failure (RFC 3261 §21.4, §21.5). */
const FAILURE_STATUS: Partial<Record<ParseErrorReason, [number, string]>> = {
  too_large: [513, 'Message Too Large'],
  uri_too_long: [414, 'Request-URI Too Long'],
  bad_version: [505, 'Version Not Supported'],
};

export function createInbound(deps: InboundDeps) {
  const { config, metrics, logger } = deps;
  const logDrop = createSampledLog(logger, config.log.dropSampleIntervalMs);
  const udpLimits = config.sip.limits.udp;
  const streamLimits = config.sip.limits.stream;

  function send(req: SipMessage, source: Source, status: number, reason: string, headers?: Array<[string, string]>): void {
    const ok = replyTo(deps.transports, req, source, status, reason, { headers, forceRport: config.sip.forceRport });
    if (ok) metrics.sipMessages.inc({ realm: source.realm, transport: source.transport, direction: 'out', kind: messageKind('', status) });
  }

  function handle(msg: InboundMessage): void {
    const { source } = msg;
    const stream = source.transport !== 'udp';
    const result = parseMessage(msg.data, { stream, limits: stream ? streamLimits : udpLimits });
    if (!result.ok) {
      metrics.sipParseErrors.inc({ reason: result.reason });
      logDrop(result.reason, source.remoteAddress, { src: `${source.remoteAddress}:${source.remotePort}`, transport: source.transport, detail: result.detail }, 'malformed SIP message');
      const partial = result.partial;
      if (result.canReply && config.sip.malformed === 'reply' && partial && partial.kind === 'request' && partial.method !== 'ACK') {
        const [status, phrase] = FAILURE_STATUS[result.reason] ?? [400, `Bad Request (${result.detail})`];
        send(partial, source, status, sanitizePhrase(phrase));
      }
      return;
    }
    const m = result.message;
    metrics.sipMessages.inc({ realm: source.realm, transport: source.transport, direction: 'in', kind: messageKind(m.method, m.status) });
    if (m.kind === 'response') {
      // No client transactions exist yet, so every response is stray (RFC 3261 §18.1.2).
      logDrop('stray_response', source.remoteAddress, { status: m.status }, 'response matches no transaction');
      return;
    }
    handleRequest(m, source);
  }

  function handleRequest(req: SipMessage, source: Source): void {
    const method = req.method;
    if (method === 'ACK') return; // an ACK is never answered (RFC 3261 §17.2.3)
    if (!KNOWN_METHODS.has(method)) {
      send(req, source, 501, 'Not Implemented', [['Allow', ALLOW]]);
      return;
    }
    const ruri = req.requestUri();
    const toSelf = ruri !== undefined && !ruri.user && deps.isSelf(ruri.host);
    if (method === 'OPTIONS' && toSelf) {
      send(req, source, 200, 'OK', [
        ['Allow', ALLOW],
        ['Accept', 'application/sdp'],
        ['Accept-Language', 'en'],
      ]);
      return;
    }
    if (method === 'CANCEL') {
      send(req, source, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    send(req, source, 404, 'Not Found');
  }

  return { handle };
}

/** A reason phrase is one line of printable text; parser details must not break that. */
function sanitizePhrase(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, ' ').slice(0, 120);
}
