// Every metric Palisade exports, created once per instance on its own registry so
// that several instances (tests, or one process per realm) never collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Direction = 'in' | 'out';

export interface Metrics {
  readonly registry: Registry;
  readonly sipMessages: Counter<'realm' | 'transport' | 'direction' | 'kind'>;
  readonly sipParseErrors: Counter<'reason'>;
  readonly transportConnections: Gauge<'transport'>;
  readonly transportDrops: Counter<'transport' | 'reason'>;
  readonly tlsReloads: Counter<'result'>;
  readonly buildInfo: Gauge<'version' | 'node'>;
  readonly callsActive: Gauge<'direction'>;
  readonly callsTotal: Counter<'direction' | 'trunk' | 'outcome'>;
  readonly transactionsActive: Gauge;
  readonly dialogsActive: Gauge;
  readonly upstreamUp: Gauge<'target'>;
  readonly requestDuration: Histogram;
  readonly proxyDrops: Counter<'reason'>;
  // --- edge security (src/security/)
  readonly securityDrops: Counter<'reason'>;
  readonly securityRejects: Counter<'reason' | 'code'>;
  readonly bansActive: Gauge;
  readonly bansTotal: Counter<'reason'>;
  readonly authTotal: Counter<'trunk' | 'result'>;
  readonly trunkCallsActive: Gauge<'trunk'>;
  readonly storeUp: Gauge;
  // --- media relay (src/media/relay/)
  readonly mediaSessionsActive: Gauge;
  readonly mediaPackets: Counter<'direction' | 'realm'>;
  readonly mediaDrops: Counter<'reason'>;
  readonly mediaPortsFree: Gauge;
  readonly callMos: Histogram;
  readonly callPacketLoss: Histogram;
  readonly callJitter: Histogram;
}

export function createMetrics(opts: { version: string; defaultMetrics?: boolean } = { version: '0.0.0' }): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // prom-client names these gauges with a _total suffix, which Prometheus reserves
    // for counters (promtool rejects them); the per-type gauges without the suffix
    // carry the same information, so the sums go.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(name);
    }
  }
  const m: Metrics = {
    registry,
    sipMessages: new Counter({
      name: 'palisade_sip_messages_total',
      help: 'SIP messages received (in) and sent (out), by realm, transport and kind (request method or response status class such as 2xx)',
      labelNames: ['realm', 'transport', 'direction', 'kind'] as const,
      registers: [registry],
    }),
    sipParseErrors: new Counter({
      name: 'palisade_sip_parse_errors_total',
      help: 'SIP messages refused by the parser, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    transportConnections: new Gauge({
      name: 'palisade_transport_connections',
      help: 'Open stream connections, by transport (tcp, tls)',
      labelNames: ['transport'] as const,
      registers: [registry],
    }),
    transportDrops: new Counter({
      name: 'palisade_transport_drops_total',
      help: 'Connections closed or datagrams dropped by the transport layer, by transport and reason',
      labelNames: ['transport', 'reason'] as const,
      registers: [registry],
    }),
    tlsReloads: new Counter({
      name: 'palisade_tls_reloads_total',
      help: 'TLS certificate and key reloads, by result (ok, error)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    buildInfo: new Gauge({
      name: 'palisade_build_info',
      help: 'Always 1; labels carry the Palisade and Node.js versions',
      labelNames: ['version', 'node'] as const,
      registers: [registry],
    }),
    callsActive: new Gauge({
      name: 'palisade_calls_active',
      help: 'Calls with an established or early dialog, by direction (origination: from the external realm, termination: from the softswitch)',
      labelNames: ['direction'] as const,
      registers: [registry],
    }),
    callsTotal: new Counter({
      name: 'palisade_calls_total',
      help: 'INVITEs that ended, by direction, trunk and outcome (answered, busy, cancelled, failed, timeout, no_route)',
      labelNames: ['direction', 'trunk', 'outcome'] as const,
      registers: [registry],
    }),
    transactionsActive: new Gauge({ name: 'palisade_transactions_active', help: 'Live SIP transactions, server and client', registers: [registry] }),
    dialogsActive: new Gauge({ name: 'palisade_dialogs_active', help: 'Dialogs in the dialog table', registers: [registry] }),
    upstreamUp: new Gauge({
      name: 'palisade_upstream_up',
      help: '1 when the softswitch target answers its health checks, else 0',
      labelNames: ['target'] as const,
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 'palisade_sip_request_duration_seconds',
      help: 'Time from receiving a request to relaying it to the other realm',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    proxyDrops: new Counter({
      name: 'palisade_proxy_drops_total',
      help: 'Messages the proxy core dropped without an answer, by reason (stray_response, stray_ack, bad_token, …)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    securityDrops: new Counter({
      name: 'palisade_security_drops_total',
      help: 'Packets and requests the security pipeline dropped without an answer, by reason (banned, flood, scanner, malformed, …)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    securityRejects: new Counter({
      name: 'palisade_security_rejects_total',
      help: 'Requests the security pipeline answered with an error, by reason and status code',
      labelNames: ['reason', 'code'] as const,
      registers: [registry],
    }),
    bansActive: new Gauge({ name: 'palisade_bans_active', help: 'Source addresses banned right now (fleet-wide, as mirrored locally)', registers: [registry] }),
    bansTotal: new Counter({
      name: 'palisade_bans_total',
      help: 'Bans made by this instance, by reason (flood, auth_failures, scanner, malformed, manual)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    authTotal: new Counter({
      name: 'palisade_auth_total',
      help: 'Trunk identifications and digest outcomes, by trunk ("unknown" when no trunk) and result (ip, tls, ok, challenge, stale, fail)',
      labelNames: ['trunk', 'result'] as const,
      registers: [registry],
    }),
    trunkCallsActive: new Gauge({
      name: 'palisade_trunk_calls_active',
      help: 'Concurrent calls admitted per trunk, fleet-wide as last known',
      labelNames: ['trunk'] as const,
      registers: [registry],
    }),
    storeUp: new Gauge({ name: 'palisade_store_up', help: '1 while the shared state store answers (always 1 for the memory store)', registers: [registry] }),
    mediaSessionsActive: new Gauge({ name: 'palisade_media_sessions_active', help: 'Media sessions (calls with relayed media) held by the relay', registers: [registry] }),
    mediaPackets: new Counter({
      name: 'palisade_media_packets_total',
      help: 'RTP and RTCP packets relayed: received from (in) or sent to (out) a realm; pushed by the media workers once per tick',
      labelNames: ['direction', 'realm'] as const,
      registers: [registry],
    }),
    mediaDrops: new Counter({
      name: 'palisade_media_drops_total',
      help: 'Media packets dropped, by reason (srtp_auth, replay, unexpected_source, no_session, malformed)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    mediaPortsFree: new Gauge({ name: 'palisade_media_ports_free', help: 'Media ports (two per RTP/RTCP pair) in the configured range not held by a session', registers: [registry] }),
    callMos: new Histogram({
      name: 'palisade_call_mos',
      help: 'MOS estimate (E-model, simplified) of each received media stream, observed when its session ends',
      buckets: [1, 2, 2.5, 3, 3.5, 3.8, 4, 4.2, 4.4],
      registers: [registry],
    }),
    callPacketLoss: new Histogram({
      name: 'palisade_call_packet_loss_ratio',
      help: 'Packet loss ratio (RFC 3550 A.3) of each received media stream, observed when its session ends',
      buckets: [0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
      registers: [registry],
    }),
    callJitter: new Histogram({
      name: 'palisade_call_jitter_seconds',
      help: 'Interarrival jitter (RFC 3550 A.8) of each received media stream at the end of its session',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2],
      registers: [registry],
    }),
  };
  m.buildInfo.set({ version: opts.version, node: process.versions.node }, 1);
  for (const t of ['tcp', 'tls']) m.transportConnections.set({ transport: t }, 0);
  return m;
}

type Child = { inc(v?: number): void };
const childCache = new WeakMap<Metrics, Map<string, Child>>();

/**
 * Counts one SIP message. prom-client hashes a label object on every inc(); this runs
 * for every message in and out, so the labelled children are looked up once per
 * combination and kept.
 */
export function countMessage(m: Metrics, realm: string, transport: string, direction: Direction, kind: string): void {
  let cache = childCache.get(m);
  if (cache === undefined) {
    cache = new Map();
    childCache.set(m, cache);
  }
  const key = realm + transport + direction + kind;
  let child = cache.get(key);
  if (child === undefined) {
    child = m.sipMessages.labels({ realm, transport, direction, kind });
    cache.set(key, child);
  }
  child.inc();
}

const CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx', '6xx', '7xx', '8xx', '9xx'];

/** '2xx' for 200–299 and so on, without building a string per message. */
export function statusClass(status: number): string {
  return CLASSES[Math.floor(status / 100) % 10]!;
}

/** Label for the `kind` of a message: the method of a request, the status class of a response. */
export function messageKind(method: string, status: number): string {
  if (status > 0) return statusClass(status);
  return KNOWN_METHODS.has(method) ? method : 'other';
}

// Methods outside this set are counted as "other" so a scanner inventing method
// names cannot create unbounded label values.
const KNOWN_METHODS = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE',
  'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);
