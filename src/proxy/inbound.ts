// What happens to every framed message after the transport: parse with the realm's
// limits, count, refuse malformed input with a clear status (or drop it when no
// answer can be formed), answer unknown methods 501, and hand the rest to the core.
import type { Logger } from 'pino';
import type { PalisadeConfig } from '../config/schema.js';
import { createSampledLog } from '../observability/logger.js';
import { countMessage, messageKind, type Metrics } from '../observability/metrics.js';
import { parseDigestParams, parseMessage, type ParseErrorReason, type SipMessage } from '../sip/index.js';
import type { InboundMessage, Source } from '../transport/types.js';
import type { TransportManager } from '../transport/index.js';
import { replyTo } from './respond.js';
import { ALLOW, type ProxyCore } from './core.js';
import { sanitizeIdentityHeader, type SecurityPipeline, type Verdict } from '../security/index.js';

export interface InboundDeps {
  config: PalisadeConfig;
  logger: Logger;
  metrics: Metrics;
  transports: Pick<TransportManager, 'send'>;
  core: Pick<ProxyCore, 'onRequest' | 'onResponse' | 'absorbRetransmission'>;
  /** The edge security pipeline, applied to everything from the external realm. */
  security?: SecurityPipeline;
}

/** Reason phrases for the statuses the security pipeline answers with. */
const PHRASES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  407: 'Proxy Authentication Required',
  420: 'Bad Extension',
  429: 'Too Many Requests',
  480: 'Temporarily Unavailable',
  483: 'Too Many Hops',
  488: 'Not Acceptable Here',
  503: 'Service Unavailable',
};

/** Methods the proxy core relays; anything else is answered 501 here. */
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE',
  'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

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
    if (ok) countMessage(metrics, source.realm, source.transport, 'out', messageKind('', status));
  }

  function handle(msg: InboundMessage): void {
    const { source } = msg;
    const security = source.realm === 'external' ? deps.security : undefined;
    // invariant 3: banned and over-rate sources go before the parser looks at the bytes
    let early: Verdict | undefined;
    if (security) {
      early = security.prefilter(source, msg.data.length);
      if (early.action === 'drop') return;
    }
    const stream = source.transport !== 'udp';
    const result = parseMessage(msg.data, { stream, limits: stream ? streamLimits : udpLimits });
    if (!result.ok) {
      metrics.sipParseErrors.inc({ reason: result.reason });
      logDrop(result.reason, source.remoteAddress, { src: `${source.remoteAddress}:${source.remotePort}`, transport: source.transport, detail: result.detail }, 'malformed SIP message');
      if (security && security.malformed(source).action === 'drop') return;
      const partial = result.partial;
      if (result.canReply && config.sip.malformed === 'reply' && partial && partial.kind === 'request' && partial.method !== 'ACK') {
        const [status, phrase] = FAILURE_STATUS[result.reason] ?? [400, `Bad Request (${result.detail})`];
        send(partial, source, status, sanitizePhrase(phrase));
      }
      return;
    }
    const m = result.message;
    countMessage(metrics, source.realm, source.transport, 'in', messageKind(m.method, m.status));
    try {
      if (m.kind === 'response') {
        deps.core.onResponse(m, msg.data, source);
        return;
      }
      if (early?.action === 'reject') {
        if (m.method !== 'ACK') answer(m, source, early);
        return;
      }
      if (!KNOWN_METHODS.has(m.method)) {
        send(m, source, 501, 'Not Implemented', [['Allow', ALLOW]]);
        return;
      }
      if (!security) {
        deps.core.onRequest(m, source, msg.receivedAt);
        return;
      }
      // retransmissions are answered by their transaction before the pipeline sees them:
      // a repeated digest nonce-count is not a replay, and must not take a second call slot
      if (deps.core.absorbRetransmission(m)) return;
      sanitizeIdentityHeader(m, security.identityHeader);
      const v = security.check(m, source);
      if (v instanceof Promise) {
        v.then(
          (verdict) => afterCheck(m, source, msg.receivedAt, verdict),
          (err: unknown) => failed(m, source, err),
        );
      } else afterCheck(m, source, msg.receivedAt, v);
    } catch (err) {
      failed(m, source, err);
    }
  }

  function afterCheck(m: SipMessage, source: Source, receivedAt: bigint, v: Verdict): void {
    try {
      if (v.action === 'drop') return;
      if (v.action === 'reject') {
        if (m.method !== 'ACK') answer(m, source, v);
        return;
      }
      if (v.username !== undefined) consumeCredentials(m, config.security.auth.realm);
      deps.core.onRequest(m, source, receivedAt, v.trunk !== undefined || v.release ? { trunk: v.trunk, release: v.release } : undefined);
    } catch (err) {
      v.action === 'accept' && v.release?.();
      failed(m, source, err);
    }
  }

  function answer(m: SipMessage, source: Source, v: Extract<Verdict, { action: 'reject' }>): void {
    send(m, source, v.code, PHRASES[v.code] ?? 'Rejected', v.headers?.map(([n, val]) => [n, val]));
  }

  function failed(m: SipMessage, source: Source, err: unknown): void {
    // a bug must cost one message, never the process
    metrics.proxyDrops.inc({ reason: 'internal_error' });
    logDrop('internal_error', source.remoteAddress, { err: err instanceof Error ? err.stack : String(err), kind: m.method || m.status }, 'message handling failed');
  }

  return { handle };
}

/**
 * RFC 3261 §22.3: credentials addressed to this proxy's realm were used here and
 * go no further (the softswitch must never see a caller's digest); credentials for
 * other realms (the registrar's own) pass.
 */
function consumeCredentials(m: SipMessage, realm: string): void {
  for (const name of ['proxy-authorization', 'authorization']) {
    const lines = m.headerLines(name);
    if (lines.length === 0) continue;
    const keep = lines.filter((l) => parseDigestParams(l)?.params.get('realm') !== realm);
    if (keep.length === lines.length) continue;
    m.removeHeader(name);
    for (const l of keep) m.appendHeader(name === 'authorization' ? 'Authorization' : 'Proxy-Authorization', l);
  }
}

/** A reason phrase is one line of printable text; parser details must not break that. */
function sanitizePhrase(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, ' ').slice(0, 120);
}
