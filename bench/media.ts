// Media relay throughput and added latency, ours against a plain Node UDP
// relay with no crypto, in one run, on loopback. Run: npm run bench:media
//
// What is measured: G.711 calls (172-byte RTP packets, one per 20 ms per call)
// offered at a fixed rate from this thread to the relay under test, which runs
// in one worker thread and forwards to a sink socket also in this thread.
// - packets per second per core: packets the sink received divided by the time
//   the relay thread's event loop was busy (its event-loop utilization), so the
//   figure is the relay's cost, not the generator's, and does not need a spare
//   core per generator (these machines have two);
// - added latency p50/p99: sink arrival minus generator send, per packet, less
//   nothing: "direct" (generator → sink, no relay) is printed as the floor;
// - the SRTP transform alone, per packet.
// Bounded: every phase is a fixed number of seconds (BENCH_SECONDS, default 3)
// at a fixed call count (BENCH_CALLS, default 400 and 2,600, see LOADS); the
// cases alternate for BENCH_ROUNDS rounds (default 3) and medians are printed.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { SrtpKey } from '../src/media/engine.js';
import { createRelayEngine, type RelayEngine } from '../src/media/relay/index.js';
import { createSrtpContext, type SrtpContext } from '../src/media/srtp/index.js';

// BENCH_CALLS: the loads, comma-separated call counts, run one after the other.
// 400 calls (20,000 packets/s) leave the relays mostly idle: the figure is the
// cost of a packet handled with little else around it. 2,600 calls (130,000
// packets/s) are more than either relay takes on one core here: the figure is
// capacity, what each delivers per CPU-second when it cannot keep up.
const LOADS = (process.env.BENCH_CALLS ?? '400,2600').split(',').map(Number).filter((n) => n > 0);
let CALLS = LOADS[0]!;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_S = 1;
let PPS = CALLS * 50;
const PER_CALL = Math.ceil((SECONDS + WARMUP_S + 1) * 50) + 10;
const SUITE = 'AES_CM_128_HMAC_SHA1_80' as const;
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 42000);
// BENCH_PIN=1: the relay thread under test on CPU 1, everything else of this
// process on CPU 0 (Linux, taskset from util-linux)
const PIN = process.env.BENCH_PIN === '1';

function threadIds(): Set<string> {
  return new Set(readdirSync('/proc/self/task'));
}

/**
 * The relay thread: the one thread that appeared since `before` (the worker
 * just started). Its CPU time comes from the kernel's schedstat (ns on CPU),
 * so a relay is charged for what it ran, not for time it was runnable but
 * preempted by the generator on these two cores. With BENCH_PIN=1 it is
 * pinned to CPU 1 and every other thread of this process to CPU 0.
 */
function relayThread(before: Set<string>): () => number {
  const fresh = [...threadIds()].filter((t) => !before.has(t));
  if (fresh.length !== 1) throw new Error(`expected one new thread for the relay, found ${fresh.length}`);
  const tid = fresh[0]!;
  if (PIN) {
    for (const t of threadIds()) execFileSync('taskset', ['-cp', t === tid ? '1' : '0', t], { stdio: 'ignore' });
  }
  return () => Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
}

interface Result {
  name: string;
  sent: number;
  received: number;
  busyFraction: number;
  /** packets per second of the relay thread's event-loop busy time */
  ppsPerBusy: number;
  /** packets per second of the relay thread's CPU time */
  ppsPerCore: number;
  p50us: number;
  p99us: number;
}

/** The relay under test, seen from the generator: where to send call i, and the relay thread's load. */
interface Target {
  ports: number[];
  /** CPU time the relay thread has used so far, ns */
  cpuNs(): number;
  elu(): EventLoopUtilization;
  close(): Promise<void>;
}

// ---- generator and sink (this thread) ---------------------------------------

function rtp(call: number, seq: number): Buffer {
  const b = Buffer.alloc(172, 0xd5); // G.711 µ-law silence
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1000 + call, 8);
  return b;
}

async function bound(): Promise<Socket> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

/** Offers CALLS × 50 packets/s to `target`; returns what the sink saw in the measured window. */
async function drive(name: string, gen: Socket, sink: Socket, target: Target, protect: SrtpContext[] | undefined): Promise<Result> {
  const sentAt = new Float64Array(CALLS * PER_CALL);
  const seqs = new Uint16Array(CALLS);
  const lat: number[] = [];
  let measuring = false;
  // Only packets sent inside the window count, wherever they land.
  let windowStart = Infinity;
  let received = 0;
  let sent = 0;
  const onMsg = (m: Buffer): void => {
    const now = performance.now();
    const call = m.readUInt32BE(8) - 0x1000;
    const t = sentAt[call * PER_CALL + m.readUInt16BE(2)];
    if (t === undefined || t < windowStart) return;
    received++;
    lat.push(now - t);
  };
  sink.on('message', onMsg);

  // Every packet of the phase is built (and protected) before it starts, in
  // one slab: the generator shares two cores with the relay under test, so
  // its own crypto and allocation would be charged to the relay's busy time.
  const STRIDE = 192;
  const slab = Buffer.alloc(CALLS * PER_CALL * STRIDE);
  const wire: Buffer[] = new Array<Buffer>(CALLS * PER_CALL);
  for (let seq = 0; seq < PER_CALL; seq++) {
    for (let call = 0; call < CALLS; call++) {
      let p = rtp(call, seq);
      if (protect) {
        const r = protect[call]!.protectRtp(p);
        if (!r.ok) throw new Error(r.reason);
        p = r.packet;
      }
      const at = (call * PER_CALL + seq) * STRIDE;
      p.copy(slab, at);
      wire[call * PER_CALL + seq] = slab.subarray(at, at + p.length);
    }
  }
  const sendOne = (call: number): void => {
    const seq = seqs[call]!++;
    if (seq >= PER_CALL) return; // the phase ran long: nothing more to send for this call
    const p = wire[call * PER_CALL + seq]!;
    sentAt[call * PER_CALL + seq] = performance.now();
    gen.send(p, target.ports[call]!, '127.0.0.1');
    if (measuring) sent++;
  };

  // Time-based pacing: each 1 ms tick sends what the schedule owes, calls in
  // turn, so packets are spread as real calls' would be rather than in bursts.
  const start = performance.now();
  let owed = 0;
  let next = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * PPS);
    for (; owed < due; owed++) {
      sendOne(next);
      next = (next + 1) % CALLS;
    }
  }, 1);
  await sleep(WARMUP_S * 1000);
  const e0 = target.elu();
  const c0 = target.cpuNs();
  measuring = true;
  windowStart = performance.now();
  await sleep(SECONDS * 1000);
  clearInterval(timer);
  await sleep(100); // let in-flight packets land
  measuring = false;
  windowStart = Infinity;
  const e1 = target.elu();
  const c1 = target.cpuNs();
  sink.off('message', onMsg);

  const active = e1.active - e0.active;
  const idle = e1.idle - e0.idle;
  lat.sort((a, b) => a - b);
  const q = (f: number): number => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(f * lat.length))]! * 1000 : NaN);
  return {
    name,
    sent,
    received,
    busyFraction: active / (active + idle),
    ppsPerBusy: active > 0 ? received / (active / 1000) : NaN,
    ppsPerCore: c1 > c0 ? received / ((c1 - c0) / 1e9) : NaN,
    p50us: q(0.5),
    p99us: q(0.99),
  };
}

// ---- the relays under test --------------------------------------------------

// A plain Node UDP relay: per call an "in" and an "out" socket, each packet sent
// on unchanged. `syncLookup` answers dgram's address lookup synchronously, as
// our relay does, so the two differ only in what our relay adds.
const PLAIN_RELAY = `
const { parentPort, workerData } = require('node:worker_threads');
const dgram = require('node:dgram');
const { calls, sinkPort, syncLookup } = workerData;
const opts = { type: 'udp4' };
if (syncLookup) opts.lookup = (h, f, cb) => cb(null, h, 4);
const sockets = [];
const ports = [];
let pending = calls * 2;
for (let i = 0; i < calls; i++) {
  const a = dgram.createSocket(opts), b = dgram.createSocket(opts);
  sockets.push(a, b);
  a.on('message', (m) => b.send(m, sinkPort, '127.0.0.1'));
  const done = () => { if (--pending === 0) parentPort.postMessage(ports); };
  a.bind(0, '127.0.0.1', () => { ports[i] = a.address().port; done(); });
  b.bind(0, '127.0.0.1', done);
}
parentPort.on('message', () => { for (const s of sockets) s.close(); parentPort.close(); });
`;

async function plainRelay(sinkPort: number, syncLookup: boolean): Promise<Target> {
  const before = threadIds();
  const w = new Worker(PLAIN_RELAY, { eval: true, workerData: { calls: CALLS, sinkPort, syncLookup } });
  const ports = await new Promise<number[]>((r) => w.once('message', r));
  const cpuNs = relayThread(before);
  return {
    ports,
    cpuNs,
    elu: () => w.performance.eventLoopUtilization(),
    close: async () => {
      w.postMessage('close');
      await new Promise((r) => w.once('exit', r));
    },
  };
}

function key(): SrtpKey {
  return { suite: SUITE, key: randomBytes(30) };
}
function ctx(k: SrtpKey): SrtpContext {
  const b = Buffer.from(k.key);
  return createSrtpContext(SUITE, b.subarray(0, 16), b.subarray(16));
}

/** Our relay with one worker; leg 0 faces the generator, leg 1 the sink. Returns the generator's contexts when leg 0 is SRTP. */
async function ourRelay(genPort: number, sinkPort: number, srtpIn: boolean, srtpOut: boolean): Promise<{ target: Target; protect: SrtpContext[] | undefined }> {
  const before = threadIds();
  const engine: RelayEngine = await createRelayEngine({ workers: 1, portMin: PORT_BASE, portMax: PORT_BASE + CALLS * 4 + 3, timeoutMs: 600_000 });
  const cpuNs = relayThread(before);
  const ports: number[] = [];
  const protect: SrtpContext[] = [];
  for (let i = 0; i < CALLS; i++) {
    const id = `bench-${i}`;
    const r = await engine.allocate({ id, legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) throw new Error(r.error.message);
    const inKeys = { rx: key(), tx: key() };
    const u0 = await engine.update(id, 0, { address: '127.0.0.1', rtpPort: genPort, rtcpMux: true, ...(srtpIn ? { srtp: inKeys } : {}) });
    const u1 = await engine.update(id, 1, { address: '127.0.0.1', rtpPort: sinkPort, rtcpMux: true, ...(srtpOut ? { srtp: { rx: key(), tx: key() } } : {}) });
    if (!u0.ok || !u1.ok) throw new Error('update failed');
    ports.push(r.value[0].rtpPort);
    protect.push(ctx(inKeys.rx));
  }
  return {
    target: { ports, cpuNs, elu: () => engine.eventLoopUtilization()[0]!, close: () => engine.close() },
    protect: srtpIn ? protect : undefined,
  };
}

// ---- the transform alone ----------------------------------------------------

function transformCost(): { protectUs: number; unprotectUs: number } {
  const k = key();
  const tx = ctx(k);
  const rx = ctx(k);
  const n = 50_000;
  const plain = Array.from({ length: n }, (_, i) => rtp(0, i));
  // protected packets go to one preallocated slab, as libsrtp's bench does
  const slab = Buffer.alloc(n * 256);
  const lens = new Uint16Array(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = tx.protectRtp(plain[i]!);
    if (!r.ok) throw new Error(r.reason);
    r.packet.copy(slab, i * 256);
    lens[i] = r.packet.length;
  }
  const t1 = performance.now();
  for (let i = 0; i < n; i++) if (!rx.unprotectRtp(slab.subarray(i * 256, i * 256 + lens[i]!)).ok) throw new Error('unprotect failed');
  const t2 = performance.now();
  return { protectUs: ((t1 - t0) * 1000) / n, unprotectUs: ((t2 - t1) * 1000) / n };
}

// ---- run ----------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  for (const calls of LOADS) {
    CALLS = calls;
    PPS = calls * 50;
    await runLoad();
  }
  const t = transformCost();
  console.log(`\nSRTP transform alone (${SUITE}, 172-byte packet): protect ${t.protectUs.toFixed(2)} µs, unprotect ${t.unprotectUs.toFixed(2)} µs`);
  console.log('pps/core = packets received by the sink / CPU time of the relay thread (kernel schedstat); pps/busy = the same over its event loop\'s busy time, which also counts time it was ready but preempted (medians over rounds); ×plain = median of the per-round ratios to the plain relay; latency includes loopback and this thread\'s own event loop (see "direct"). A load above a relay\'s capacity shows as recv < sent.');
}

async function runLoad(): Promise<void> {
  console.log(`\nmedia relay benchmark: ${CALLS} G.711 calls one way = ${PPS} packets/s offered, ${SECONDS} s measured after ${WARMUP_S} s warm-up, loopback, relay on one worker thread, ${ROUNDS} alternating rounds (medians)`);
  const gen = await bound();
  const sink = await bound();
  const genPort = (gen.address() as AddressInfo).port;
  const sinkPort = (sink.address() as AddressInfo).port;

  // direct: no relay at all, the latency floor of this generator and sink
  const direct = await drive('direct (no relay)', gen, sink, { ports: Array(CALLS).fill(sinkPort), cpuNs: () => 0, elu: () => ({ idle: 0, active: 0, utilization: 0 }), close: async () => {} }, undefined);
  const cases: [string, () => Promise<{ target: Target; protect: SrtpContext[] | undefined }>][] = [
    ['plain Node relay', async () => ({ target: await plainRelay(sinkPort, false), protect: undefined })],
    ['plain Node relay (sync lookup)', async () => ({ target: await plainRelay(sinkPort, true), protect: undefined })],
    ['palisade RTP→RTP', () => ourRelay(genPort, sinkPort, false, false)],
    ['palisade SRTP→RTP', () => ourRelay(genPort, sinkPort, true, false)],
    ['palisade RTP→SRTP', () => ourRelay(genPort, sinkPort, false, true)],
  ];
  // BENCH_CASES: comma-separated substrings picking cases (the plain relay always runs)
  const only = process.env.BENCH_CASES?.split(',');
  if (only !== undefined) cases.splice(1, cases.length, ...cases.slice(1).filter(([n]) => only.some((o) => n.includes(o))));
  // On a shared two-core machine one phase can be starved by other work;
  // rounds alternate the cases so each ratio compares neighbours in time.
  const rounds: Result[][] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round: Result[] = [];
    for (const [name, make] of cases) {
      const { target, protect } = await make();
      round.push(await drive(name, gen, sink, target, protect));
      await target.close();
    }
    rounds.push(round);
  }
  gen.close();
  sink.close();

  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const pad = (s: string | number, n: number): string => String(s).padStart(n);
  console.log(`\n${'relay'.padEnd(32)}${pad('sent', 9)}${pad('recv', 9)}${pad('busy', 7)}${pad('pps/core', 10)}${pad('×plain', 8)}${pad('pps/busy', 10)}${pad('×plain', 8)}${pad('p50 µs', 9)}${pad('p99 µs', 9)}   ×plain per round`);
  console.log(`${direct.name.padEnd(32)}${pad(direct.sent, 9)}${pad(direct.received, 9)}${pad('-', 7)}${pad('-', 10)}${pad('-', 8)}${pad('-', 10)}${pad('-', 8)}${pad(direct.p50us.toFixed(0), 9)}${pad(direct.p99us.toFixed(0), 9)}`);
  cases.forEach(([name], i) => {
    const rs = rounds.map((round) => round[i]!);
    const ratios = rounds.map((round) => round[i]!.ppsPerCore / round[0]!.ppsPerCore);
    const busyRatios = rounds.map((round) => round[i]!.ppsPerBusy / round[0]!.ppsPerBusy);
    console.log(
      `${name.padEnd(32)}${pad(Math.round(med(rs.map((r) => r.sent))), 9)}${pad(Math.round(med(rs.map((r) => r.received))), 9)}${pad((med(rs.map((r) => r.busyFraction)) * 100).toFixed(0) + '%', 7)}${pad(Math.round(med(rs.map((r) => r.ppsPerCore))), 10)}${pad(med(ratios).toFixed(2), 8)}${pad(Math.round(med(rs.map((r) => r.ppsPerBusy))), 10)}${pad(med(busyRatios).toFixed(2), 8)}${pad(med(rs.map((r) => r.p50us)).toFixed(0), 9)}${pad(med(rs.map((r) => r.p99us)).toFixed(0), 9)}   ${ratios.map((x) => x.toFixed(2)).join(' ')}`,
    );
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
