// `npm run bench:flood` (issue 4): what a flood costs Palisade and what it does to the
// calls that matter, measured in one run on loopback.
//
// 1. Cost per dropped packet, end to end: a real Palisade (in this process, so
//    process.cpuUsage() is its CPU) receives a bounded UDP flood (child processes,
//    test/helpers/flood.ts) from a banned source, then from an over-rate source that is
//    never banned (banAfterExcess set out of reach). CPU µs per packet = (CPU over the
//    flood − idle CPU over as long) / packets Palisade counted as dropped. The receive
//    syscall and the event-loop callback are included: that is what a packet costs.
//    Beside it, the prefilter alone in a tight loop (no socket), as the floor.
// 2. Legitimate calls during floods of rising rates: SIPp uac → Palisade → SIPp uas
//    (1 s calls at a steady rate, from an address-identified trunk) while a flood source
//    (a fresh address per step, so each step includes the burst before the ban) sends
//    at the step's rate. Success ratio and INVITE→200 p99 against the same calls with
//    no flood, in the same run.
//
//   npx tsx bench/flood.ts [--quick] [--rates 0,5000,10000,20000,40000] [--cps 20] [--step-s 10]
//
// Addresses 127.0.5.x: Palisade external .1, internal .2, trunk (uac) .3, softswitch
// (uas) .4, banned flooder .8, over-rate flooder .9, step flooders .10 upward.
// Every child is bounded in time and killed on exit.
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { configSchema } from '../src/config/schema.js';
import { startPalisade, type Palisade } from '../src/main.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createSecurityPipeline, type PacketSource } from '../src/security/index.js';
import { createMemoryStore } from '../src/state/memory.js';
import { floodPackets, metricValue, startFlood, type FloodResult } from '../test/helpers/flood.js';
import { hasCommand, installExitHandlers, killAllOwned, ownPid, sleep, udpRcvbufErrors } from './cps/proc.js';
import { runUacStep, startUas, type UacResult } from './cps/sipp.js';

const EXT = '127.0.5.1';
const INT = '127.0.5.2';
const TRUNK = '127.0.5.3';
const SS = '127.0.5.4';
const BANNED = '127.0.5.8';
const OVER = '127.0.5.9';
const stepFlooder = (i: number) => `127.0.5.${10 + i}`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rates: { type: 'string' },
    cps: { type: 'string' },
    'step-s': { type: 'string' },
    'cost-rate': { type: 'string' },
    'cost-s': { type: 'string' },
  },
});
const quick = args.quick === true;
const RATES = (args.rates ?? (quick ? '0,10000,20000' : '0,5000,10000,20000,40000')).split(',').map(Number);
const CPS = Number(args.cps ?? 20);
const STEP_S = Number(args['step-s'] ?? (quick ? 5 : 10));
const COST_RATE = Number(args['cost-rate'] ?? 20_000);
const COST_S = Number(args['cost-s'] ?? (quick ? 2 : 4));
const PREFILTER_N = quick ? 500_000 : 2_000_000;

const cpuUs = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

async function main(): Promise<void> {
  installExitHandlers();
  console.log(`bench:flood on ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // ---- 0. the prefilter alone ------------------------------------------------------------
  const prefilter = prefilterCost();

  // ---- 1. a real instance --------------------------------------------------------------
  const uas = hasCommand('sipp') ? await startUas(SS, 600_000) : undefined;
  const raw = {
    node: { name: 'bench-flood' },
    log: { level: 'silent' },
    http: { enabled: false },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: EXT, port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: INT, port: 0 }] },
    },
    softswitches: {
      targets: [{ id: 'ss', host: SS, port: uas?.port ?? 9, transport: 'udp' }],
      health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1_000_000 },
    },
    // part 1: an over-rate source stays over-rate (never banned), so both kinds of drop can be measured
    security: { flood: { banAfterExcess: 1_000_000_000 } },
    trunks: [{ id: 'carrier', sources: [{ cidr: `${TRUNK}/32` }] }],
  };
  const config = configSchema.parse(raw);
  const sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
  const port = sbc.transports.listeners().find((l) => l.id === 'ext')!.port;
  await sleep(300);

  try {
    // idle CPU of this process over COST_S, to subtract
    const idle0 = cpuUs();
    await sleep(COST_S * 1000);
    const idleUsPerS = (cpuUs() - idle0) / COST_S;

    await sbc.security.ban(BANNED, 'bench', 3_600_000);
    const banned = await dropCost(sbc, port, BANNED, 'banned', idleUsPerS);
    const over = await dropCost(sbc, port, OVER, 'flood', idleUsPerS);

    console.log('\n1. CPU cost per dropped packet (µs of Palisade process CPU per packet)');
    table(
      ['source', 'rate asked', 'rate sent', 'counted drops', 'kernel rcvbuf drops', 'CPU µs/packet', 'cores busy'],
      [
        ['prefilter only, banned (loop)', '-', '-', String(PREFILTER_N), '-', prefilter.banned.toFixed(3), '-'],
        ['prefilter only, over-rate (loop)', '-', '-', String(PREFILTER_N), '-', prefilter.over.toFixed(3), '-'],
        ['UDP, banned source', String(COST_RATE), String(banned.flood.rate), String(banned.drops), String(banned.rcvbuf), banned.usPerPacket.toFixed(2), banned.cores.toFixed(2)],
        ['UDP, over-rate source', String(COST_RATE), String(over.flood.rate), String(over.drops), String(over.rcvbuf), over.usPerPacket.toFixed(2), over.cores.toFixed(2)],
      ],
    );
    console.log(`   idle CPU of the process: ${(idleUsPerS / 1000).toFixed(1)} ms/s`);

    // ---- 2. legitimate calls during floods ---------------------------------------------
    if (!uas) {
      console.log('\n2. skipped: sipp not found (Debian package sip-tester)');
      return;
    }
    // part 2 floods like a real scanner: the default ban after 200 excess packets applies
    sbc.security.reload(configSchema.parse({ ...raw, security: {} }));
    const rows: string[][] = [];
    let base: UacResult | undefined;
    for (let i = 0; i < RATES.length; i++) {
      const rate = RATES[i]!;
      const src = stepFlooder(i);
      const rcv0 = udpRcvbufErrors();
      const d0 = drops(await sbc.metrics.registry.metrics());
      const flood =
        rate > 0
          ? startFlood({
              host: EXT,
              port,
              sourceIp: src,
              rate,
              durationMs: (STEP_S + 2) * 1000,
              maxPackets: Math.ceil(rate * (STEP_S + 2)),
              packets: floodPackets({ sourceIp: src, host: EXT, port }),
              processes: rate > 25_000 ? 2 : 1,
              onSpawn: (c) => c.pid && ownPid(c.pid),
            })
          : undefined;
      await sleep(rate > 0 ? 300 : 0);
      const r = await runUacStep({ rate: CPS, durationS: STEP_S, target: `${EXT}:${port}`, localIp: TRUNK, graceS: 10 });
      flood?.stop();
      const f: FloodResult | undefined = await flood?.done;
      const d1 = drops(await sbc.metrics.registry.metrics());
      if (rate === 0) base = r;
      const ok = r.calls > 0 ? r.successful / r.calls : 0;
      rows.push([
        rate === 0 ? 'none' : String(rate),
        f ? String(f.rate) : '-',
        `${r.successful}/${r.calls}`,
        `${(ok * 100).toFixed(1)} %`,
        r.rttP50.toFixed(1),
        r.rttP99.toFixed(1),
        base && rate > 0 ? (r.rttP99 / base.rttP99).toFixed(2) : '1.00',
        String(r.retransmissions),
        String(d1 - d0),
        String(udpRcvbufErrors() - rcv0),
        sbc.store.isBanned(src, Date.now())?.reason ?? (rate > 0 ? 'NOT BANNED' : '-'),
      ]);
      await sleep(1000);
    }
    console.log(`\n2. Legitimate calls (${CPS} cps × ${STEP_S} s, 1 s calls, INVITE→200 in ms) during floods from one source`);
    table(['flood asked /s', 'flood sent /s', 'calls ok', 'success', 'p50', 'p99', 'p99 vs none', 'retrans', 'drops counted', 'rcvbuf drops', 'flooder'], rows);
  } finally {
    await sbc.stop();
    await uas?.stop();
    killAllOwned();
  }
}

/** Floods from `source` for COST_S at COST_RATE and returns Palisade's CPU per counted drop. */
async function dropCost(sbc: Palisade, port: number, source: string, reason: 'banned' | 'flood', idleUsPerS: number) {
  const before = metricValue(await sbc.metrics.registry.metrics(), 'palisade_security_drops_total', { reason });
  const rcv0 = udpRcvbufErrors();
  const c0 = cpuUs();
  const t0 = performance.now();
  const flood = await startFlood({
    host: EXT,
    port,
    sourceIp: source,
    rate: COST_RATE,
    durationMs: COST_S * 1000,
    maxPackets: COST_RATE * COST_S,
    packets: floodPackets({ sourceIp: source, host: EXT, port }),
    onSpawn: (c) => c.pid && ownPid(c.pid),
  }).done;
  await sleep(100); // the last datagrams in the socket buffer
  const cpu = cpuUs() - c0;
  const wallS = (performance.now() - t0) / 1000;
  const drops = metricValue(await sbc.metrics.registry.metrics(), 'palisade_security_drops_total', { reason }) - before;
  const net = Math.max(0, cpu - idleUsPerS * wallS);
  return { flood, drops, rcvbuf: udpRcvbufErrors() - rcv0, usPerPacket: drops > 0 ? net / drops : NaN, cores: cpu / 1e6 / wallS };
}

/** The prefilter alone, in a loop: no socket, no event loop (the floor of the figures above). */
function prefilterCost(): { banned: number; over: number } {
  const store = createMemoryStore();
  const pipeline = createSecurityPipeline(configSchema.parse({ security: { flood: { packets: { rate: 100, burst: 200 }, banAfterExcess: 1e9 } } }), {
    store,
    metrics: createMetrics({ version: 'bench', defaultMetrics: false }),
    logger: createLogger({ level: 'silent' }),
    lag: () => 0,
  });
  const src = (a: string): PacketSource => ({ remoteAddress: a, remotePort: 5060, transport: 'udp', realm: 'external' });
  void store.addBan({ address: '198.51.100.1', reason: 'bench', until: Date.now() + 3_600_000, createdAt: Date.now(), origin: 'bench' });
  const measure = (s: PacketSource): number => {
    for (let i = 0; i < 10_000; i++) pipeline.prefilter(s, 400);
    const c0 = cpuUs();
    for (let i = 0; i < PREFILTER_N; i++) pipeline.prefilter(s, 400);
    return (cpuUs() - c0) / PREFILTER_N;
  };
  const banned = measure(src('198.51.100.1'));
  const over = measure(src('198.51.100.2'));
  pipeline.close();
  void store.close();
  return { banned, over };
}

function drops(text: string): number {
  return metricValue(text, 'palisade_security_drops_total');
}

function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

main().catch((err: unknown) => {
  console.error(err);
  killAllOwned();
  process.exitCode = 1;
});
