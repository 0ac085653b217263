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
import { createRequire } from 'node:module';
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
function measure(run: Runner, iterations: number, rounds: number): number {
  for (let i = 0; i < Math.min(iterations, 20000); i++) sink += run(i); // warm-up: let the JIT settle
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) sink += run(i);
    const ns = Number(process.hrtime.bigint() - t0);
    rates.push(iterations / (ns / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

/**
 * Each parser is timed in its own process: sharing one timing loop would make
 * its call site polymorphic and penalize whichever parser runs later.
 */
function main(): void {
  const rounds = Number(process.env.ROUNDS ?? 7);
  const iterations = Number(process.env.ITERATIONS ?? 60000);
  const parsers: Record<string, () => Runner | undefined> = {
    palisade: () => ours,
    'palisade (lazy)': () => oursLazy,
    'sip (npm 0.0.6)': loadSip,
    'jssip (3.x)': loadJssip,
  };
  const only = process.argv[2];
  if (only !== undefined) {
    const run = parsers[only]?.();
    if (!run) return;
    for (let i = 0; i < n; i++) sink += run(i); // sanity: every message of the mix parses
    process.stdout.write(JSON.stringify(measure(run, iterations, rounds)));
    return;
  }
  const results: Array<[string, number]> = [];
  for (const name of Object.keys(parsers)) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), name], { encoding: 'utf8' }).trim();
    if (out === '') continue;
    const rate = Number(out.slice(out.lastIndexOf('\n') + 1));
    results.push([name, rate]);
    console.log(`${name.padEnd(18)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} msgs/s`);
  }
  const full = results.find(([k]) => k === 'palisade')?.[1] ?? 0;
  const lazy = results.find(([k]) => k === 'palisade (lazy)')?.[1] ?? 0;
  const others = results.filter(([name]) => !name.startsWith('palisade'));
  if (others.length > 0) {
    const best = others.reduce((a, b) => (b[1] > a[1] ? b : a));
    console.log(`ratio palisade / fastest other (${best[0]}): ${(full / best[1]).toFixed(2)}x full touch, ${(lazy / best[1]).toFixed(2)}x lazy`);
  }
  console.log(`mix: ${n} messages, ${buffers.reduce((a, b) => a + b.length, 0)} bytes; median of ${rounds} rounds x ${iterations}, one process per parser; node ${process.version}`);
  if (sink === 42) console.log('');
}

main();
