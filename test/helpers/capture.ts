// End-to-end proxy tests: a Palisade instance between two SIPp peers on loopback, and
// what each peer captured (SIPp -trace_msg) cut into messages for grepping.
//
// Topology: Palisade external listeners (udp, tcp, tls) on 127.0.0.1, its internal
// listener (udp) on 127.0.0.2; the trunk / customer side on 127.0.0.3, the softswitch
// on 127.0.0.4. Every port is picked free so test files can run in parallel.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';

export const EXTERNAL_IP = '127.0.0.1';
export const INTERNAL_IP = '127.0.0.2';
export const TRUNK_IP = '127.0.0.3';
export const SOFTSWITCH_IP = '127.0.0.4';

export interface FixtureOptions {
  /** Port of the SIPp playing the softswitch (on 127.0.0.4). */
  softswitchPort: number;
  /** Port of the SIPp playing the carrier trunk (on 127.0.0.3), for termination. */
  trunkPort?: number;
  credentials?: { username: string; password: string };
  timers?: { t1Ms?: number; t2Ms?: number; t4Ms?: number; timerCMs?: number };
  dialogIdleMs?: number;
}

export interface Fixture {
  sbc: Palisade;
  config: PalisadeConfig;
  /** Bound port of Palisade's listener of this realm and transport. */
  port(realm: 'external' | 'internal', transport: 'udp' | 'tcp' | 'tls'): number;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export function proxyConfig(o: FixtureOptions): PalisadeConfig {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-proxy-'));
  return configSchema.parse({
    log: { level: 'silent' },
    http: { port: 0 },
    transport: { tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt'), watch: false } },
    realms: {
      external: {
        listeners: [
          { id: 'ext-udp', transport: 'udp', address: EXTERNAL_IP, port: 0 },
          { id: 'ext-tcp', transport: 'tcp', address: EXTERNAL_IP, port: 0 },
          { id: 'ext-tls', transport: 'tls', address: EXTERNAL_IP, port: 0 },
        ],
      },
      internal: { listeners: [{ id: 'int-udp', transport: 'udp', address: INTERNAL_IP, port: 0 }] },
    },
    proxy: {
      timers: o.timers ?? {},
      ...(o.dialogIdleMs !== undefined ? { dialogIdleMs: o.dialogIdleMs } : {}),
    },
    softswitches: {
      targets: [{ id: 'ss1', host: SOFTSWITCH_IP, port: o.softswitchPort, transport: 'udp' }],
      // The pool probes every target once at start. A SIPp uas would take that OPTIONS
      // for a call (and count it against -m), so peers start after the probe has given
      // up (startFixture waits for it); one failure does not take the target down.
      health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1000 },
    },
    trunks: [
      {
        id: 'carrier',
        // calls from the carrier's address are this trunk's (IP authentication, issue 4);
        // stunnel, in front of SIPp for TLS, connects from 127.0.0.1
        sources: [{ cidr: `${TRUNK_IP}/32` }, { cidr: '127.0.0.1/32', transport: 'tls' }],
        target: `sip:${TRUNK_IP}:${o.trunkPort ?? 5060}`,
        prefixes: ['+1'],
        credentials: o.credentials ?? { username: 'palisade', password: 'trunk-secret' },
      },
    ],
  });
}

export async function startFixture(o: FixtureOptions): Promise<Fixture> {
  const config = proxyConfig(o);
  const sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
  // let the start-up health probe time out and its transaction go before peers start
  await new Promise((r) => setTimeout(r, 150));
  await waitUntil(() => sbc.core.sizes().clientTransactions === 0, 2000);
  return {
    sbc,
    config,
    port(realm, transport) {
      const l = sbc.transports.listeners().find((x) => x.realm === realm && x.transport === transport);
      if (!l) throw new Error(`no ${realm} ${transport} listener`);
      return l.port;
    },
    async metrics() {
      return (await fetch(`http://127.0.0.1:${sbc.http!.port}/metrics`)).text();
    },
    stop: () => sbc.stop(),
  };
}

/** Polls `pred` every 50 ms until it holds or `ms` passes; returns whether it held. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---- SIPp -trace_msg ---------------------------------------------------------------

export interface TracedMessage {
  direction: 'sent' | 'received';
  /** Start line and headers (CRLF-joined), without the body. */
  head: string;
  body: string;
}

/**
 * Splits a SIPp -trace_msg file into messages. SIPp writes each one after a banner
 * line such as `----------------------------------------------- 2024-... ` followed by
 * `UDP message sent (N bytes):` / `UDP message received [N] bytes :`, then the bytes.
 */
export function parseTrace(text: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  const lines = text.split('\n');
  let cur: { direction: 'sent' | 'received'; lines: string[] } | undefined;
  const flush = () => {
    if (!cur) return;
    const raw = cur.lines.join('\n').replace(/\r?\n/g, '\r\n').replace(/^(\r\n)+/, '').replace(/(\r\n)+$/, '');
    const sep = raw.indexOf('\r\n\r\n');
    const head = sep < 0 ? raw : raw.slice(0, sep);
    const body = sep < 0 ? '' : raw.slice(sep + 4);
    if (head.trim() !== '') out.push({ direction: cur.direction, head, body });
    cur = undefined;
  };
  for (const line of lines) {
    if (/^-{10,} /.test(line)) {
      flush();
      continue;
    }
    const m = /^(UDP|TCP|TLS|SCTP) message (sent|received)/.exec(line);
    if (m) {
      flush();
      cur = { direction: m[2] === 'sent' ? 'sent' : 'received', lines: [] };
      continue;
    }
    cur?.lines.push(line);
  }
  flush();
  return out;
}

/** Header values (all occurrences, compact forms included) of one header in a message head. */
export function headerValues(head: string, name: string, compact?: string): string[] {
  const names = [name.toLowerCase(), ...(compact ? [compact.toLowerCase()] : [])];
  const out: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    if (names.includes(line.slice(0, i).trim().toLowerCase())) out.push(line.slice(i + 1).trim());
  }
  return out;
}

/** What identifies one side of a call, collected from the messages that side sent. */
export interface Identity {
  branches: Set<string>;
  callIds: Set<string>;
  contacts: Set<string>;
  tags: Set<string>;
}

export function identityOf(messages: TracedMessage[]): Identity {
  const id: Identity = { branches: new Set(), callIds: new Set(), contacts: new Set(), tags: new Set() };
  for (const m of messages) {
    if (m.direction !== 'sent') continue;
    const isRequest = !m.head.startsWith('SIP/2.0 ');
    if (isRequest) {
      for (const v of headerValues(m.head, 'via', 'v')) {
        const b = /;\s*branch=([^;,\s]+)/i.exec(v)?.[1];
        if (b) id.branches.add(b);
      }
    }
    for (const c of headerValues(m.head, 'call-id', 'i')) id.callIds.add(c);
    for (const c of headerValues(m.head, 'contact', 'm')) {
      const uri = /<([^>]+)>/.exec(c)?.[1] ?? c.split(';')[0]!;
      id.contacts.add(uri.trim());
    }
  }
  return id;
}

/**
 * Every occurrence in `heads` of something in `needles`, as "needle in: first line".
 * Bodies are not searched: callers pass heads only.
 */
export function findLeaks(heads: string[], needles: Iterable<string>): string[] {
  const found: string[] = [];
  const list = [...needles].filter((n) => n.length >= 4);
  for (const h of heads) {
    for (const n of list) {
      if (h.includes(n)) found.push(`${JSON.stringify(n)} in: ${h.split('\r\n', 1)[0]} ... ${h.split('\r\n').find((l) => l.includes(n)) ?? ''}`);
    }
  }
  return found;
}
