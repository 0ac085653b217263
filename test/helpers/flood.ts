// A bounded flood source for the security tests and bench/flood.ts: one or more child
// processes (test/scenarios/security/flood-sender.mjs) sending pre-built SIP
// datagrams from one source address at a fixed rate, each reporting how many it sent
// and over how long, so a test states the rate it achieved rather than the one it asked
// for. Also: reading one value out of a Prometheus text exposition.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface FloodOptions {
  host: string;
  port: number;
  /** local address every packet comes from (the one Palisade will ban) */
  sourceIp: string;
  /** packets per second, over all sender processes */
  rate: number;
  durationMs: number;
  /** hard bound on packets, over all sender processes */
  maxPackets: number;
  /** datagrams sent round-robin */
  packets: string[];
  /** child processes sharing the rate (each its own core, if there is one); default 1 */
  processes?: number;
  /** sockets per process (all bound to sourceIp); default 1 */
  sockets?: number;
  /** called with each sender's pid (the benchmark kills them on exit) */
  onSpawn?: (child: ChildProcess) => void;
}

export interface FloodResult {
  sent: number;
  errors: number;
  /** longest sender's sending time */
  elapsedMs: number;
  /** achieved packets per second over all senders */
  rate: number;
  perProcess: Array<{ sent: number; errors: number; elapsedMs: number }>;
}

export interface Flood {
  readonly done: Promise<FloodResult>;
  /** ask the senders to stop now; `done` still settles with what was sent */
  stop(): void;
}

// From test/helpers/ (tsx, vitest) or from dist/test/helpers/ (the built benchmark), where
// the .mjs is not copied: the source tree's copy then.
const SENDER = [
  new URL('../scenarios/security/flood-sender.mjs', import.meta.url),
  new URL('../../../test/scenarios/security/flood-sender.mjs', import.meta.url),
].map((u) => fileURLToPath(u)).find((p) => existsSync(p)) ?? fileURLToPath(new URL('../scenarios/security/flood-sender.mjs', import.meta.url));

export function startFlood(o: FloodOptions): Flood {
  const n = Math.max(1, o.processes ?? 1);
  const children: ChildProcess[] = [];
  const results: Array<Promise<{ sent: number; errors: number; elapsedMs: number }>> = [];
  for (let i = 0; i < n; i++) {
    // plain node, no loader inherited from the test runner: the sender is JavaScript
    const child = fork(SENDER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    children.push(child);
    o.onSpawn?.(child);
    const killer = setTimeout(() => child.kill('SIGKILL'), o.durationMs + 8000);
    killer.unref();
    results.push(
      new Promise((resolve) => {
        let report: { sent: number; errors: number; elapsedMs: number } | undefined;
        child.on('message', (m) => {
          report = m as typeof report;
        });
        child.on('exit', () => {
          clearTimeout(killer);
          resolve(report ?? { sent: 0, errors: -1, elapsedMs: 0 });
        });
      }),
    );
    child.send({
      host: o.host,
      port: o.port,
      sourceIp: o.sourceIp,
      rate: o.rate / n,
      durationMs: o.durationMs,
      maxPackets: Math.ceil(o.maxPackets / n),
      sockets: o.sockets ?? 1,
      packets: o.packets,
    });
  }
  const done = Promise.all(results).then((perProcess) => {
    const sent = perProcess.reduce((a, r) => a + r.sent, 0);
    const elapsedMs = Math.max(...perProcess.map((r) => r.elapsedMs));
    return {
      sent,
      errors: perProcess.reduce((a, r) => a + r.errors, 0),
      elapsedMs,
      rate: elapsedMs > 0 ? Math.round((sent * 1000) / elapsedMs) : 0,
      perProcess,
    };
  });
  return {
    done,
    stop() {
      for (const c of children) if (c.connected) c.send('stop');
    },
  };
}

/** `count` distinct out-of-dialog requests (alternating OPTIONS and INVITE) as a scanner would send them. */
export function floodPackets(o: { sourceIp: string; host: string; port: number; count?: number; userAgent?: string }): string[] {
  const out: string[] = [];
  for (let i = 0; i < (o.count ?? 64); i++) {
    const method = i % 2 === 0 ? 'OPTIONS' : 'INVITE';
    const user = 100 + i;
    out.push(
      [
        `${method} sip:${user}@${o.host}:${o.port} SIP/2.0`,
        `Via: SIP/2.0/UDP ${o.sourceIp}:5060;branch=z9hG4bK-flood-${i}`,
        'Max-Forwards: 70',
        `From: <sip:${user}@${o.sourceIp}>;tag=fl${i}`,
        `To: <sip:${user}@${o.host}>`,
        `Call-ID: flood-${i}@${o.sourceIp}`,
        `CSeq: 1 ${method}`,
        `Contact: <sip:${user}@${o.sourceIp}:5060>`,
        `User-Agent: ${o.userAgent ?? 'LoadGen/1.0'}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  }
  return out;
}

/**
 * The sum of the samples of `name` whose labels include every pair in `labels`, from
 * a Prometheus text exposition (0 when there is none).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    let labelText = '';
    let valueText = rest.trim();
    if (rest[0] === '{') {
      const close = rest.lastIndexOf('}');
      labelText = rest.slice(1, close);
      valueText = rest.slice(close + 1).trim();
    }
    const have = new Map<string, string>();
    for (const m of labelText.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(m[1]!, m[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(valueText.split(' ')[0]);
  }
  return sum;
}
