// Call-rate benchmark (issue 3): SIPp uac → Palisade → SIPp uas on loopback, UDP,
// built-in scenarios, 1 s calls, at rising call rates; a step passes with fewer than
// 0.1 % failed calls. Beside it, in the same run: SIPp uac → uas directly (the
// ceiling of the load generator on this machine) and, when installed, Kamailio as a
// plain stateful record-routing proxy (bench/cps/kamailio.cfg).
//
//   node dist/bench/cps.js [--quick] [--duration S] [--rates 200,400,...] [--max-rate N]
//                          [--max-time S] [--systems direct,palisade,kamailio]
//                          [--kamailio-children N] [--out FILE]
//
// Addresses: Palisade external 127.0.0.1, internal 127.0.0.2; UAC 127.0.0.3; UAS
// 127.0.0.4; Kamailio 127.0.0.5. Every process is bounded in time and killed on exit.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findKamailio, kamailioVersion, startKamailio } from './cps/kamailio.js';
import { startPalisade } from './cps/palisade.js';
import { hasCommand, installExitHandlers, killAllOwned, sleep, udpRcvbufErrors } from './cps/proc.js';
import { runUacStep, startUas, type UacResult } from './cps/sipp.js';
import { startStunnelClient } from '../test/helpers/stunnel.js';

const EXTERNAL_IP = '127.0.0.1';
const INTERNAL_IP = '127.0.0.2';
const UAC_IP = '127.0.0.3';
// --auth: the one digest user both proxies know (kamailio-auth.cfg has the same password)
const AUTH_USER = 'bench';
const AUTH_PASSWORD = 'bench-secret';
/**
 * --auth for Palisade: the caller is no trunk by address, so every INVITE is challenged
 * (MD5 only: SIPp answers nothing else) and checked against one trunk's credentials;
 * per-source limits far above the ramp, as the address-trunk run has them.
 */
const AUTH_PALISADE: Record<string, unknown> = {
  trunks: [{ id: 'bench', auth: { username: AUTH_USER, password: AUTH_PASSWORD } }],
  security: {
    admission: { maxEventLoopLagMs: 0 },
    auth: { algorithms: ['MD5'] },
    flood: { packets: { rate: 1_000_000, burst: 1_000_000 }, invite: { rate: 1_000_000, burst: 1_000_000 } },
  },
};
const UAS_IP = '127.0.0.4';
const KAMAILIO_IP = '127.0.0.5';
/** a step passes with fewer failed calls than this share */
const MAX_FAILED = 0.001;
/** …and when SIPp placed at least this share of the rate asked for */
const MIN_ACHIEVED = 0.95;

type SystemName = 'direct' | 'palisade' | 'kamailio';

interface StepRecord extends UacResult {
  system: SystemName;
  /** calls/s asked for */
  rate: number;
  passed: boolean;
  /** why it failed, when it did */
  reason?: string;
  /** CPU seconds of the proxy (Palisade: its process; Kamailio: all its processes) over the step */
  proxyCpuS: number;
  /** proxy CPU seconds / step duration: cores busy at this rate */
  proxyCores: number;
  /** calls per proxy CPU-second (= rate / cores) */
  callsPerCore: number;
  uasCpuS: number;
  /** host-wide UDP datagrams dropped for a full receive buffer during the step */
  udpRcvbufDrops: number;
}

interface SystemSummary {
  system: SystemName;
  version?: string;
  skipped?: string;
  /** highest rate held (0: none) */
  held: number;
  /** the ramp stopped at --max-rate or --max-time without a failing step */
  capped: boolean;
  coresAtHeld?: number;
  callsPerCoreAtHeld?: number;
  steps: StepRecord[];
}

function usage(): string {
  return `Usage: cps [--quick] [--duration S] [--rates R1,R2,...] [--max-rate N] [--max-time S]
           [--systems direct,palisade,kamailio] [--kamailio-children N] [--pause S] [--out FILE]
  --quick              5 s steps (default: 20 s, as issue 3 asks)
  --duration S         seconds each rate is held
  --rates LIST         the ramp (default 200,400,800,1200,1600,2000, then +400 up to --max-rate)
  --max-rate N         highest rate tried (default 6000)
  --max-time S         stop the whole run after this many seconds (default 1800)
  --systems LIST       which to measure (default all three; kamailio is skipped when not installed)
  --kamailio-children N  Kamailio UDP worker processes (default 2)
  --kamailio-cfg NAME  plain (stateful proxy with record-route, bench/cps/kamailio.cfg) or
                       edge (+ sanity checks, pike flood detection, topoh topology hiding,
                       bench/cps/kamailio-edge.cfg): issue 3's first two reference rows
  --auth               digest on every INVITE: SIPp answers a 407 (bench/cps/uac-auth.xml,
                       MD5, qop=auth); Palisade challenges an unidentified source with
                       one user, Kamailio runs bench/cps/kamailio-auth.cfg (direct stays
                       unauthenticated: it is the floor)
  --tls                the caller on TLS: SIPp (built without TLS) over one TCP connection
                       into stunnel4, which carries it over TLS to Palisade's TLS listener
                       or to Kamailio (bench/cps/kamailio-tls.cfg, Debian
                       kamailio-tls-modules); the UAS stays on UDP; direct stays UDP
  --pause S            seconds between steps (default 3)
  --out FILE           JSON results (default: $TMPDIR/palisade-cps-<date>.json)
`;
}

/**
 * --tls: stunnel4 in client mode in front of SIPp (Debian's SIPp has no TLS). SIPp's
 * one TCP connection arrives on 127.0.0.3 and leaves as one TLS connection to the proxy.
 * stunnel's CPU is its own process, not counted as the proxy's.
 */
async function tlsFront(proxyTls: string, maxTimeS: number): Promise<{ target: string; stop(): Promise<void> }> {
  const [host, port] = [proxyTls.slice(0, proxyTls.lastIndexOf(':')), Number(proxyTls.slice(proxyTls.lastIndexOf(':') + 1))];
  const st = await startStunnelClient({ acceptHost: UAC_IP, connectHost: host, connectPort: port, killAfterMs: (maxTimeS + 120) * 1000 });
  return { target: `${UAC_IP}:${st.port}`, stop: () => st.stop() };
}

/** A certificate for Kamailio's TLS socket, made with our own gen-certs. */
function kamailioCerts(root: string): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cps-kamtls-'));
  execFileSync(process.execPath, [join(root, 'dist', 'src', 'cli.js'), 'gen-certs', '--out', dir, '--ip', KAMAILIO_IP], { stdio: 'ignore' });
  return { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

function defaultRamp(max: number): number[] {
  const r = [200, 400, 800, 1200, 1600, 2000].filter((x) => x <= max);
  for (let x = 2400; x <= max; x += 400) r.push(x);
  if (r[r.length - 1] !== max && max > (r[r.length - 1] ?? 0)) r.push(max);
  return r;
}

/** The repository: the first directory up from this file with a package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root (package.json) not found');
}

const fmt = (x: number | undefined, digits = 0): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rates: { type: 'string' },
      'max-rate': { type: 'string', default: '6000' },
      'max-time': { type: 'string', default: '1800' },
      systems: { type: 'string', default: 'direct,palisade,kamailio' },
      'kamailio-children': { type: 'string', default: '2' },
      'kamailio-cfg': { type: 'string', default: 'plain' },
      auth: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      pause: { type: 'string', default: '3' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage());
    return 0;
  }
  const durationS = values.duration !== undefined ? Number(values.duration) : values.quick ? 5 : 20;
  const maxRate = Number(values['max-rate']);
  const maxTimeS = Number(values['max-time']);
  const pauseS = Number(values.pause);
  const kamChildren = Number(values['kamailio-children']);
  const ramp = values.rates ? values.rates.split(',').map(Number).filter((r) => r > 0 && r <= maxRate) : defaultRamp(maxRate);
  const systems = values.systems.split(',').map((s) => s.trim()) as SystemName[];
  for (const [name, v] of [['--duration', durationS], ['--max-rate', maxRate], ['--max-time', maxTimeS], ['--kamailio-children', kamChildren]] as const) {
    if (!(v > 0)) throw new Error(`${name} must be a positive number`);
  }
  if (!ramp.length || ramp.some((r) => !Number.isInteger(r))) throw new Error('--rates: positive integers up to --max-rate');
  if (systems.some((s) => !['direct', 'palisade', 'kamailio'].includes(s))) throw new Error('--systems: direct, palisade, kamailio');
  if (!hasCommand('sipp')) {
    process.stderr.write('cps: sipp not found (Debian package sip-tester); nothing measured\n');
    return 2;
  }

  if (values.tls && values.auth) throw new Error('--tls and --auth: one at a time');
  if (values.tls && !hasCommand('stunnel4')) {
    process.stderr.write('cps: --tls needs stunnel4 (Debian package stunnel4); nothing measured\n');
    return 2;
  }
  installExitHandlers();
  const root = repoRoot();
  const transportFor = (system: SystemName): { transport?: 't1' } => (values.tls && system !== 'direct' ? { transport: 't1' } : {});
  const authFor = (system: SystemName): { auth?: { scenario: string; username: string; password: string } } =>
    values.auth && system !== 'direct' ? { auth: { scenario: join(root, 'bench', 'cps', 'uac-auth.xml'), username: AUTH_USER, password: AUTH_PASSWORD } } : {};
  const started = Date.now();
  const deadline = started + maxTimeS * 1000;
  const kamBin = findKamailio();
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  log(`cps: ${durationS} s steps, ramp ${ramp.join(', ')} calls/s; ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

  // One UAS (the softswitch) serves every system, bounded to the whole run.
  const uas = await startUas(UAS_IP, maxTimeS * 1000 + 120_000);
  const results: SystemSummary[] = [];
  let truncated = false;
  try {
    for (const system of systems) {
      const summary: SystemSummary = { system, held: 0, capped: false, steps: [] };
      results.push(summary);
      if (truncated) {
        summary.skipped = '--max-time reached';
        continue;
      }
      let target: string;
      let proxyCpu: () => number = () => 0;
      let proxyAlive: () => boolean = () => true;
      let stop: () => Promise<void> = async () => {};
      let diag: () => string = () => '';
      let tlsTarget: string | undefined;
      if (system === 'direct') {
        target = `${uas.host}:${uas.port}`;
      } else if (system === 'palisade') {
        const p = await startPalisade({ repoRoot: root, externalIp: EXTERNAL_IP, internalIp: INTERNAL_IP, softswitch: { host: uas.host, port: uas.port }, ...(values.auth ? { extra: AUTH_PALISADE } : {}), tls: values.tls });
        target = p.target;
        proxyCpu = () => p.cpu();
        proxyAlive = () => p.alive();
        stop = () => p.stop();
        tlsTarget = p.tlsTarget;
        diag = () => p.output();
        summary.version = `palisade (node ${process.versions.node})`;
        log(`cps: palisade pid ${p.pid} on ${p.target}`);
      } else {
        if (!kamBin) {
          summary.skipped = 'kamailio not installed (Debian package kamailio)';
          log('cps: kamailio not installed (apt-get install kamailio): skipping the side-by-side run');
          continue;
        }
        const cfgName = values.auth ? 'kamailio-auth.cfg' : values.tls ? 'kamailio-tls.cfg' : values['kamailio-cfg'] === 'edge' ? 'kamailio-edge.cfg' : 'kamailio.cfg';
        const cfg = join(root, 'bench', 'cps', cfgName);
        const certs = values.tls ? kamailioCerts(root) : undefined;
        const k = await startKamailio({ bin: kamBin, cfg, listenIp: KAMAILIO_IP, uas: { host: uas.host, port: uas.port }, children: kamChildren, ...(certs ? { tls: certs } : {}) });
        target = k.target;
        proxyCpu = () => k.cpu();
        proxyAlive = () => k.alive();
        stop = () => k.stop();
        tlsTarget = k.tlsTarget;
        summary.version = `kamailio ${k.version}, ${kamChildren} UDP workers (${k.processes()} processes)`;
        log(`cps: kamailio pid ${k.pid} on ${k.target}, ${k.processes()} processes`);
      }
      if (values.tls && tlsTarget !== undefined) {
        // the caller reaches the proxy's TLS listener through stunnel
        const t = await tlsFront(tlsTarget, maxTimeS);
        const stopProxy = stop;
        target = t.target;
        stop = async () => {
          await t.stop();
          await stopProxy();
        };
      }
      try {
        if (system !== 'direct') {
          // Warm-up, not recorded: JIT compilation, first allocations, Kamailio's
          // first transactions. 3 s at the ramp's first rate.
          const w = await runUacStep({ rate: Math.min(ramp[0] ?? 100, 200), durationS: 3, target, localIp: UAC_IP, graceS: 10, ...authFor(system), ...transportFor(system) });
          log(`  ${system.padEnd(8)} warm-up: ${w.successful}/${w.calls} ok`);
          await sleep(pauseS * 1000);
        }
        let failedStep = false;
        for (const rate of ramp) {
          if (Date.now() + (durationS + 12) * 1000 > deadline) {
            truncated = true;
            log('cps: --max-time reached, stopping the ramp');
            break;
          }
          const cpu0 = proxyCpu();
          const uas0 = uas.cpu();
          const drops0 = udpRcvbufErrors();
          const r = await runUacStep({ rate, durationS, target, localIp: UAC_IP, graceS: 12, ...authFor(system), ...transportFor(system) });
          const udpRcvbufDrops = udpRcvbufErrors() - drops0;
          const proxyCpuS = Math.max(0, proxyCpu() - cpu0);
          const uasCpuS = Math.max(0, uas.cpu() - uas0);
          const bad = r.failed + r.unfinished;
          let reason: string | undefined;
          if (!proxyAlive()) reason = `${system} died`;
          else if (bad >= MAX_FAILED * r.calls) reason = `${bad} of ${r.calls} calls failed`;
          else if (r.achievedRate < MIN_ACHIEVED * rate) reason = `SIPp placed only ${r.achievedRate.toFixed(0)} calls/s`;
          const proxyCores = proxyCpuS / durationS;
          const step: StepRecord = {
            ...r,
            system,
            rate,
            passed: reason === undefined,
            proxyCpuS,
            proxyCores,
            callsPerCore: proxyCpuS > 0 ? r.calls / proxyCpuS : NaN,
            uasCpuS,
            udpRcvbufDrops,
          };
          if (reason !== undefined) step.reason = reason;
          if (reason !== undefined && system === 'palisade') step.errors = `${step.errors ?? ''}\n${diag()}`.trim();
          summary.steps.push(step);
          log(
            `  ${system.padEnd(8)} ${String(rate).padStart(5)}/s: ${reason === undefined ? 'ok  ' : 'FAIL'} ` +
              `${r.successful}/${r.calls} ok, ${bad} failed, placed ${r.achievedRate.toFixed(0)}/s, ` +
              `${system === 'direct' ? '' : `proxy ${proxyCores.toFixed(2)} cores, `}INVITE→200 p50 ${fmt(r.rttP50)} p99 ${fmt(r.rttP99)} ms, ` +
              `${r.retransmissions} retrans, ${udpRcvbufDrops} UDP drops` +
              `${reason ? ` (${reason}${Object.keys(r.failureCauses).length ? `; ${JSON.stringify(r.failureCauses)}` : ''})` : ''}`,
          );
          if (reason !== undefined) {
            if (r.screen) log(r.screen.replace(/^/gm, '      '));
            failedStep = true;
            break;
          }
          summary.held = rate;
          summary.coresAtHeld = proxyCores;
          summary.callsPerCoreAtHeld = step.callsPerCore;
          await sleep(pauseS * 1000);
          if (!uas.alive()) throw new Error('the SIPp uas died');
        }
        summary.capped = !failedStep;
      } finally {
        await stop();
      }
      if (system !== 'direct') await sleep(1000);
    }
  } finally {
    await uas.stop();
  }

  const report = {
    benchmark: 'cps',
    date: new Date(started).toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '?', loadavgAtEnd: loadavg(), node: process.version },
    settings: { durationS, ramp, maxRate, maxTimeS, pauseS, passRule: `< ${MAX_FAILED * 100} % failed calls and >= ${MIN_ACHIEVED * 100} % of the rate placed`, callLengthMs: 1000, transport: 'udp' },
    truncated,
    systems: results,
    ratios: ratios(results),
  };
  const out = values.out ? resolve(values.out) : join(tmpdir(), `palisade-cps-${report.date.slice(0, 19).replace(/[:T]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(render(report.settings.durationS, results, report.ratios));
  process.stdout.write(`\nJSON: ${out}\n`);
  return 0;
}

interface Ratios {
  palisadeVsDirect?: number;
  kamailioVsDirect?: number;
  /** Palisade calls/s per core at its held rate ÷ Kamailio's at its held rate */
  perCorePalisadeVsKamailio?: number;
  /** the highest rate both proxies held, and Palisade's calls per CPU-second there ÷ Kamailio's */
  sameRate?: { rate: number; palisadeCallsPerCore: number; kamailioCallsPerCore: number; ratio: number };
  /** true when direct SIPp never failed: the ratios against it are upper bounds */
  directCapped?: boolean;
}

function ratios(results: SystemSummary[]): Ratios {
  const by = (s: SystemName) => results.find((r) => r.system === s && !r.skipped);
  const d = by('direct');
  const p = by('palisade');
  const k = by('kamailio');
  const out: Ratios = {};
  if (d && d.held > 0) {
    out.directCapped = d.capped;
    if (p) out.palisadeVsDirect = p.held / d.held;
    if (k) out.kamailioVsDirect = k.held / d.held;
  }
  if (p?.callsPerCoreAtHeld && k?.callsPerCoreAtHeld) out.perCorePalisadeVsKamailio = p.callsPerCoreAtHeld / k.callsPerCoreAtHeld;
  if (p && k) {
    const rate = Math.min(p.held, k.held);
    const ps = p.steps.find((s) => s.rate === rate && s.passed);
    const ks = k.steps.find((s) => s.rate === rate && s.passed);
    if (rate > 0 && ps && ks) out.sameRate = { rate, palisadeCallsPerCore: ps.callsPerCore, kamailioCallsPerCore: ks.callsPerCore, ratio: ps.callsPerCore / ks.callsPerCore };
  }
  return out;
}

function render(durationS: number, results: SystemSummary[], r: Ratios): string {
  const lines: string[] = [];
  const row = (cells: string[], widths: number[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  lines.push('', `Call rate: SIPp uac → proxy → SIPp uas, UDP on loopback, 1 s calls, ${durationS} s per step, pass < 0.1 % failed`, '');
  const w1 = [9, 6, 7, 7, 7, 8, 8, 8, 8, 6];
  lines.push(row(['system', 'rate', 'placed', 'calls', 'failed', 'p50 ms', 'p99 ms', 'cores', 'calls/s/core', 'ok'], w1));
  for (const s of results) {
    for (const st of s.steps) {
      lines.push(
        row(
          [s.system, String(st.rate), st.achievedRate.toFixed(0), String(st.calls), String(st.failed + st.unfinished), fmt(st.rttP50), fmt(st.rttP99), s.system === 'direct' ? '-' : st.proxyCores.toFixed(2), s.system === 'direct' ? '-' : fmt(st.callsPerCore), st.passed ? 'yes' : 'NO'],
          w1,
        ),
      );
    }
  }
  lines.push('', 'Summary (highest rate held; cores = proxy CPU seconds / step seconds)', '');
  const w2 = [9, 14, 8, 13, 10];
  lines.push(row(['system', 'calls/s held', 'cores', 'calls/s/core', 'vs direct'], w2));
  const d = results.find((x) => x.system === 'direct' && !x.skipped);
  for (const s of results) {
    if (s.skipped) {
      lines.push(`${s.system.padEnd(9)}  skipped: ${s.skipped}`);
      continue;
    }
    const held = `${s.capped ? '≥' : ''}${s.held}`;
    let vs = '-';
    if (d && d.held > 0 && s.system === 'direct') vs = '1.00';
    else if (d && d.held > 0 && !(d.capped && s.capped)) vs = `${d.capped ? '≤' : s.capped ? '≥' : ''}${(s.held / d.held).toFixed(2)}`;
    lines.push(row([s.system, held, s.system === 'direct' ? '-' : fmt(s.coresAtHeld, 2), s.system === 'direct' ? '-' : fmt(s.callsPerCoreAtHeld), vs], w2));
  }
  lines.push('');
  if (r.perCorePalisadeVsKamailio !== undefined) lines.push(`Palisade calls/s per core ÷ Kamailio's (each at its held rate): ${r.perCorePalisadeVsKamailio.toFixed(2)}`);
  if (r.sameRate) {
    lines.push(
      `At ${r.sameRate.rate} calls/s (held by both): Palisade ${r.sameRate.palisadeCallsPerCore.toFixed(0)}, Kamailio ${r.sameRate.kamailioCallsPerCore.toFixed(0)} calls per CPU-second; ratio ${r.sameRate.ratio.toFixed(2)}`,
    );
  }
  if (r.directCapped) lines.push('Direct SIPp never failed (ramp capped by --max-rate/--max-time): ratios against it are upper bounds.');
  lines.push('Shared, noisy machine: read the ratios, not the absolute figures.');
  return `${lines.join('\n')}\n`;
}

main().then(
  (code) => {
    killAllOwned();
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`cps: ${(err as Error).stack ?? String(err)}\n`);
    killAllOwned();
    process.exit(1);
  },
);
