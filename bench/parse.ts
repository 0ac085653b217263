// Parse throughput on a realistic mix, ours against the npm `sip` package and
// JsSIP, in one run. Run: npm run bench:parse
//
// Each parser does what a proxy needs per message: start line, all Vias,
// From/To with tags, Call-ID, CSeq, Max-Forwards, Contact, Route,
// Record-Route (with their URIs), Content-Length, and Authorization params
// (npm sip parses those eagerly, so ours does the same work). Ours starts
// from the Buffer a socket gives; the others get a ready-made string (their
// input type), which flatters them.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDigestParams, parseMessage } from '../src/sip/index.js';
import { MIX } from './mix.js';

const require = createRequire(import.meta.url);

type Runner = (i: number) => number;

const buffers = MIX.map((s) => Buffer.from(s, 'utf8'));
const strings = MIX.slice();
const n = MIX.length;

function ours(i: number): number {
  const r = parseMessage(buffers[i % n]!);
  if (!r.ok) throw new Error(`ours failed: ${r.reason} ${r.detail}`);
  const m = r.message;
  let acc = m.kind === 'request' ? m.method.length : m.status;
  acc += m.vias().length + (m.topVia()?.branch?.length ?? 0);
  acc += (m.from()?.tag?.length ?? 0) + (m.to()?.tag?.length ?? 0);
  acc += m.callId().length + m.cseq().seq + m.maxForwards();
  acc += m.contacts()?.length ?? 0;
  // npm sip parses Route/Record-Route URIs and the auth headers eagerly; do the same work.
  for (const r of m.nameAddrs('route') ?? []) acc += r.uri?.host.length ?? 0;
  for (const r of m.nameAddrs('record-route') ?? []) acc += r.uri?.host.length ?? 0;
  const auth = m.header('authorization');
  if (auth !== undefined) acc += parseDigestParams(auth)?.params.size ?? 0;
  acc += m.body.length;
  return acc;
}

/** What the security pipeline's first filters need: a validated parse, Call-ID, CSeq, top Via. */
function oursLazy(i: number): number {
  const r = parseMessage(buffers[i % n]!);
  if (!r.ok) throw new Error(`ours failed: ${r.reason} ${r.detail}`);
  const m = r.message;
  return m.cseq().seq + m.callId().length + (m.topVia()?.branch?.length ?? 0);
}

function loadSip(): Runner | undefined {
  try {
    const sip = require('sip') as { parse(s: string): any };
    return (i) => {
      const m = sip.parse(strings[i % n]!);
      if (!m) throw new Error('sip failed');
      const h = m.headers;
      let acc = m.method ? m.method.length : m.status;
      acc += h.via.length + (h.via[0]?.params?.branch?.length ?? 0);
      acc += (h.from?.params?.tag?.length ?? 0) + (h.to?.params?.tag?.length ?? 0);
      acc += h['call-id'].length + h.cseq.seq + Number(h['max-forwards'] ?? 70);
      acc += h.contact?.length ?? 0;
      acc += h.route?.length ?? 0;
      acc += h['record-route']?.length ?? 0;
      acc += (m.content?.length ?? 0);
      return acc;
    };
  } catch (e) {
    console.log(`npm sip unavailable: ${String(e)}`);
    return undefined;
  }
}

function loadJssip(): Runner | undefined {
  try {
    const Parser = require('jssip/lib/Parser') as { parseMessage(s: string, ua: unknown): any };
    const ua = {}; // IncomingRequest only stores it
    return (i) => {
      const m = Parser.parseMessage(strings[i % n]!, ua);
      if (!m) throw new Error('jssip failed');
      let acc = m.method ? m.method.length : m.status_code;
      const vias = m.getHeaders('via').length;
      for (let k = 0; k < vias; k++) acc += m.parseHeader('via', k) ? 1 : 0;
      acc += (m.from_tag?.length ?? 0) + (m.to_tag?.length ?? 0);
      acc += m.call_id.length + m.cseq + Number(m.getHeader('max-forwards') ?? 70);
      acc += m.getHeaders('contact').length;
      const routes = m.getHeaders('route').length;
      for (let k = 0; k < routes; k++) acc += m.parseHeader('route', k) ? 1 : 0;
      acc += m.getHeaders('record-route').length;
      acc += (m.body?.length ?? 0);
      return acc;
    };
  } catch (e) {
    console.log(`JsSIP unavailable: ${String(e)}`);
    return undefined;
  }
}

let sink = 0;
interface Rates {
  /** Messages per second of wall-clock time. */
  wall: number;
  /** Messages per second of process CPU time: less sensitive to other load on a shared machine. */
  cpu: number;
}

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function measure(run: Runner, iterations: number, rounds: number): Rates {
  for (let i = 0; i < Math.min(iterations, 20000); i++) sink += run(i); // warm-up: let the JIT settle
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += run(i);
    const ns = Number(process.hrtime.bigint() - t0);
    const c = process.cpuUsage(c0);
    wall.push(iterations / (ns / 1e9));
    cpu.push(iterations / ((c.user + c.system) / 1e6));
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Self time by function from a .cpuprofile, the top `n` lines. */
function profileSummary(file: string, n: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const cf = byId.get(id)!.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
    const dt = p.timeDeltas[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(6)}%  ${k}`)
    .join('\n');
}

/**
 * Each parser is timed in its own process: sharing one timing loop would make
 * its call site polymorphic and penalize whichever parser runs later. RUNS
 * processes per parser, interleaved, so a burst of load on the machine hits
 * every parser alike; the figure is the median over runs of each run's median.
 *
 *   node dist/bench/parse.js                      all parsers
 *   node dist/bench/parse.js palisade             one parser, in this process (JSON out)
 *   node dist/bench/parse.js --cpu [parser]       CPU profile (default palisade) and the top self times
 */
function main(): void {
  const rounds = Number(process.env.ROUNDS ?? 7);
  const iterations = Number(process.env.ITERATIONS ?? 60000);
  const runs = Number(process.env.RUNS ?? 3);
  const parsers: Record<string, () => Runner | undefined> = {
    palisade: () => ours,
    'palisade (lazy)': () => oursLazy,
    'sip (npm 0.0.6)': loadSip,
    'jssip (3.x)': loadJssip,
  };
  const self = fileURLToPath(import.meta.url);
  const args = process.argv.slice(2);
  if (args[0] === '--cpu') {
    const name = args[1] ?? 'palisade';
    const dir = mkdtempSync(join(tmpdir(), 'palisade-prof-'));
    execFileSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, self, name], {
      encoding: 'utf8',
      env: { ...process.env, ITERATIONS: process.env.ITERATIONS ?? '200000' },
    });
    const file = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!);
    console.log(`${name}: profile in ${file} (open in Chrome DevTools > Performance, or speedscope)`);
    console.log(profileSummary(file, 25));
    return;
  }
  const only = args[0];
  if (only !== undefined) {
    const run = parsers[only]?.();
    if (!run) return;
    for (let i = 0; i < n; i++) sink += run(i); // sanity: every message of the mix parses
    process.stdout.write(JSON.stringify(measure(run, iterations, rounds)));
    return;
  }
  const samples = new Map<string, Rates[]>();
  for (let r = 0; r < runs; r++) {
    for (const name of Object.keys(parsers)) {
      const out = execFileSync(process.execPath, [self, name], { encoding: 'utf8' }).trim();
      if (out === '') continue;
      const rates = JSON.parse(out.slice(out.lastIndexOf('\n') + 1)) as Rates;
      samples.set(name, [...(samples.get(name) ?? []), rates]);
    }
  }
  const results: Array<[string, Rates]> = [];
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(10);
  console.log(`${'parser'.padEnd(18)} ${'wall msgs/s'.padStart(12)} ${'cpu msgs/s'.padStart(12)}   runs (wall)`);
  for (const [name, rs] of samples) {
    const rates = { wall: median(rs.map((x) => x.wall)), cpu: median(rs.map((x) => x.cpu)) };
    results.push([name, rates]);
    console.log(`${name.padEnd(18)} ${fmt(rates.wall)}   ${fmt(rates.cpu)}   ${rs.map((x) => Math.round(x.wall / 1000) + 'k').join(' ')}`);
  }
  const get = (k: string): Rates | undefined => results.find(([name]) => name === k)?.[1];
  const full = get('palisade');
  const lazy = get('palisade (lazy)');
  const others = results.filter(([name]) => !name.startsWith('palisade'));
  if (others.length > 0 && full !== undefined && lazy !== undefined) {
    const best = others.reduce((a, b) => (b[1].wall > a[1].wall ? b : a));
    const ratio = (a: number, b: number): string => (a / b).toFixed(2) + 'x';
    console.log(
      `ratio palisade / fastest other (${best[0]}): full touch ${ratio(full.wall, best[1].wall)} wall, ${ratio(full.cpu, best[1].cpu)} cpu; ` +
        `lazy ${ratio(lazy.wall, best[1].wall)} wall, ${ratio(lazy.cpu, best[1].cpu)} cpu`,
    );
  }
  console.log(
    `mix: ${n} messages, ${buffers.reduce((a, b) => a + b.length, 0)} bytes; median of ${runs} interleaved runs, each the median of ${rounds} rounds x ${iterations}; one process per parser; node ${process.version}`,
  );
  if (sink === 42) console.log('');
}

main();
