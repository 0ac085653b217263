// Shared fixtures for the security tests: a config from partial input, a fake clock,
// the real memory store, a logger whose lines we can read, and request builders.

import { Writable } from 'node:stream';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { parseMessage } from '../../src/sip/parse.js';
import type { SipMessage } from '../../src/sip/message.js';
import { createMemoryStore } from '../../src/state/memory.js';
import type { Store } from '../../src/state/types.js';
import { createSecurityPipeline, type PacketSource, type SecurityPipeline } from '../../src/security/index.js';

export function config(input: Record<string, unknown> = {}): PalisadeConfig {
  return configSchema.parse(input);
}

export interface Clock {
  t: number;
  now: () => number;
  advance(ms: number): void;
}

export function clock(start = 1_700_000_000_000): Clock {
  const c: Clock = {
    t: start,
    now: () => c.t,
    advance(ms) {
      c.t += ms;
    },
  };
  return c;
}

export function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  // pino writes synchronously to a plain Writable, so lines are there right after the call.
  return { logger: createLogger({ level: 'info' }, dest), lines };
}

export function src(address: string, over: Partial<PacketSource> = {}): PacketSource {
  return { remoteAddress: address, remotePort: 5060, transport: 'udp', realm: 'external', ...over };
}

export interface ReqOptions {
  uri?: string;
  from?: string;
  to?: string;
  ua?: string;
  cseqMethod?: string;
  maxForwards?: number;
  branch?: string;
  headers?: Array<[string, string]>;
}

let seq = 0;
export function req(method: string, o: ReqOptions = {}): SipMessage {
  seq++;
  const lines = [
    `${method} ${o.uri ?? 'sip:+14155550100@sbc.example.com'} SIP/2.0`,
    `Via: SIP/2.0/UDP 198.51.100.7:5060;branch=${o.branch ?? `z9hG4bK-${seq}`}`,
    `Max-Forwards: ${o.maxForwards ?? 70}`,
    `From: ${o.from ?? '<sip:alice@pbx.example.com>;tag=f1'}`,
    `To: ${o.to ?? '<sip:+14155550100@sbc.example.com>'}`,
    `Call-ID: call-${seq}@pbx.example.com`,
    `CSeq: 1 ${o.cseqMethod ?? method}`,
    ...(o.ua !== undefined ? [`User-Agent: ${o.ua}`] : []),
    ...(o.headers ?? []).map(([k, v]) => `${k}: ${v}`),
    'Content-Length: 0',
    '',
    '',
  ];
  const r = parseMessage(Buffer.from(lines.join('\r\n')));
  if (!r.ok) throw new Error(`test request did not parse: ${r.reason} ${r.detail}`);
  return r.message;
}

export interface Harness {
  pipeline: SecurityPipeline;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  lines: Array<Record<string, unknown>>;
  lag: { value: number };
  cfg: PalisadeConfig;
}

export function harness(input: Record<string, unknown> = {}, store?: Store): Harness {
  const c = clock();
  const cfg = config(input);
  const s = store ?? createMemoryStore({ now: c.now });
  const metrics = createMetrics({ version: 'test', defaultMetrics: false });
  const { logger, lines } = captureLogger();
  const lag = { value: 0 };
  const pipeline = createSecurityPipeline(cfg, { store: s, metrics, logger, now: c.now, lag: () => lag.value, instance: 'test' });
  return { pipeline, store: s, metrics, clock: c, lines, lag, cfg };
}

/** The value of one labelled series of a counter or gauge, 0 when absent. */
export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const all = await metrics.registry.getMetricsAsJSON();
  const m = all.find((x) => x.name === name);
  if (m === undefined) throw new Error(`no metric ${name}`);
  let sum = 0;
  for (const v of m.values) {
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, val]) => String(l[k]) === val)) sum += v.value;
  }
  return sum;
}

/** Lets queued promise callbacks (a store write, a ban) run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
