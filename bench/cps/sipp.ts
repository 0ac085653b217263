// SIPp for the call-rate benchmark: one long-lived built-in `uas` (the softswitch)
// and, per step, one built-in `uac` run at a fixed rate for a fixed number of calls.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cpuSeconds, freeUdpPort, sleep, spawnOwned, waitUdpBound } from './proc.js';

/** SIPp must not abort a call on a 180 that arrives after the 200 (a proxy may reorder). */
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];

export interface Uas {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** CPU seconds used so far. */
  cpu(): number;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startUas(host: string, maxLifetimeMs: number): Promise<Uas> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cps-uas-'));
  const port = await freeUdpPort(host);
  const child = spawnOwned(
    'sipp',
    ['-sn', 'uas', '-i', host, '-p', String(port), '-t', 'u1', '-nostdin', '-l', '1000000', ...LOOSE, '-timeout', `${Math.ceil(maxLifetimeMs / 1000)}s`],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 8000) stderr += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (!(await waitUdpBound(host, port, 3000))) {
    child.kill('SIGKILL');
    throw new Error(`SIPp uas did not bind ${host}:${port}: ${stderr}`);
  }
  return {
    host,
    port,
    pid: child.pid ?? -1,
    cpu: () => (child.pid ? cpuSeconds(child.pid) : 0),
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      await stopChild(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(t);
}

export interface UacStep {
  /** calls/s asked for */
  rate: number;
  durationS: number;
  target: string;
  localIp: string;
  /** extra seconds after the last call is placed before the run is cut off */
  graceS: number;
  /** answer the proxy's 407 on every INVITE (scenario file with [authentication], SIPp's -au/-ap) */
  auth?: { scenario: string; username: string; password: string };
  /** SIPp transport mode: u1 (UDP, default) or t1 (one TCP connection, e.g. into stunnel for TLS) */
  transport?: 'u1' | 't1';
}

export interface UacResult {
  calls: number;
  successful: number;
  failed: number;
  /** calls asked for but neither successful nor failed when SIPp stopped (cut off) */
  unfinished: number;
  /** calls/s SIPp actually placed (from the INVITE→200 trace) */
  achievedRate: number;
  retransmissions: number;
  failureCauses: Record<string, number>;
  /** INVITE → 200 response time, ms */
  rttP50: number;
  rttP99: number;
  rttMax: number;
  wallS: number;
  uacCpuS: number;
  exitCode: number | null;
  /** tail of SIPp's error output, when the step failed */
  errors?: string;
  /** SIPp's final message table (messages, retransmissions, timeouts per step of the scenario), when the step failed */
  screen?: string;
}

/** Runs one step: rate × duration calls of `-d 1000`, then waits for them to end. */
export async function runUacStep(s: UacStep, hooks: { onStart?: () => void } = {}): Promise<UacResult> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cps-uac-'));
  const calls = Math.round(s.rate * s.durationS);
  const port = await freeUdpPort(s.localIp);
  // -l: well above the calls open at once (rate × ~1 s), so SIPp never throttles
  // itself silently; -rtt_freq divides the call count so no response time is dropped.
  const args = [
    s.target,
    // -auth_uri: the digest uri is the Request-URI (RFC 3261 §22.4); SIPp would write sip:host:port
    ...(s.auth ? ['-sf', s.auth.scenario, '-au', s.auth.username, '-ap', s.auth.password, '-auth_uri', `service@${s.target}`] : ['-sn', 'uac']),
    '-i', s.localIp,
    '-p', String(port),
    '-t', s.transport ?? 'u1',
    '-r', String(s.rate),
    '-rp', '1000',
    '-m', String(calls),
    '-l', String(Math.max(1000, s.rate * 10)),
    '-d', '1000',
    ...LOOSE,
    '-recv_timeout', '8000',
    '-timeout', `${Math.ceil(s.durationS + s.graceS)}s`,
    '-nostdin',
    '-trace_stat', '-stf', join(dir, 'stat.csv'), '-fd', '1',
    '-trace_rtt', '-rtt_freq', String(rttFreq(calls, s.rate)),
    '-trace_screen',
    '-trace_err', '-error_file', join(dir, 'err.log'),
  ];
  const t0 = process.hrtime.bigint();
  const child = spawnOwned('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  hooks.onStart?.();
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { if (stderr.length < 8000) stderr += d.toString(); });
  let cpu = 0;
  const sampler = setInterval(() => { if (child.pid) cpu = Math.max(cpu, cpuSeconds(child.pid)); }, 250);
  // SIPp's own -timeout bounds it; this is the backstop should it hang on exit.
  const killer = setTimeout(() => child.kill('SIGKILL'), (s.durationS + s.graceS + 15) * 1000);
  const exitCode = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(killer);
  clearInterval(sampler);
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(50);

  const stat = lastStatRow(join(dir, 'stat.csv'));
  const successful = stat.get('SuccessfulCall(C)') ?? 0;
  const failed = stat.get('FailedCall(C)') ?? 0;
  const unfinished = Math.max(0, calls - successful - failed);
  const failureCauses: Record<string, number> = {};
  for (const [k, v] of stat) {
    if (k.startsWith('Failed') && k.endsWith('(C)') && k !== 'FailedCall(C)' && v > 0) failureCauses[k.slice(6, -3)] = v;
  }
  for (const k of ['DeadCallMsgs(C)', 'OutOfCallMsgs(C)']) {
    const v = stat.get(k) ?? 0;
    if (v > 0) failureCauses[k.slice(0, -3)] = v;
  }
  const rtt = readRtt(dir);
  const result: UacResult = {
    calls,
    successful,
    failed,
    unfinished,
    achievedRate: rtt.achievedRate,
    retransmissions: stat.get('Retransmissions(C)') ?? 0,
    failureCauses,
    rttP50: rtt.p50,
    rttP99: rtt.p99,
    rttMax: rtt.max,
    wallS,
    uacCpuS: cpu,
    exitCode,
  };
  if (failed + unfinished > 0 || exitCode !== 0) {
    result.errors = (stderr + readErrors(dir)).slice(-2000);
    result.screen = readScreenTable(dir);
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** Largest divisor of `calls` not above the rate (one dump a second or so). */
function rttFreq(calls: number, rate: number): number {
  for (let f = Math.min(calls, Math.max(1, rate)); f > 1; f--) if (calls % f === 0) return f;
  return 1;
}

function lastStatRow(file: string): Map<string, number> {
  const m = new Map<string, number>();
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const head = lines[0]?.split(';') ?? [];
    const last = lines[lines.length - 1]?.split(';') ?? [];
    head.forEach((h, i) => {
      const v = Number(last[i]);
      if (Number.isFinite(v)) m.set(h, v);
    });
  } catch {
    // no stat file: SIPp did not start; every call counts as unfinished
  }
  return m;
}

/** From the -trace_rtt file: when each call got its 200 and how long it took. */
function readRtt(dir: string): { achievedRate: number; p50: number; p99: number; max: number } {
  const empty = { achievedRate: 0, p50: NaN, p99: NaN, max: NaN };
  let text: string;
  try {
    const f = readdirSync(dir).find((n) => n.endsWith('_rtt.csv'));
    if (!f) return empty;
    text = readFileSync(join(dir, f), 'utf8');
  } catch {
    return empty;
  }
  const sent: number[] = [];
  const rt: number[] = [];
  for (const line of text.split('\n')) {
    const [at, ms] = line.split(';');
    const a = Number(at);
    const r = Number(ms);
    if (!line || !Number.isFinite(a) || !Number.isFinite(r) || at === undefined || at === 'Date_ms') continue;
    rt.push(r);
    sent.push(a - r); // when the INVITE left
  }
  if (rt.length < 2) return empty;
  sent.sort((x, y) => x - y);
  rt.sort((x, y) => x - y);
  const span = ((sent[sent.length - 1] ?? 0) - (sent[0] ?? 0)) / 1000;
  const q = (p: number): number => rt[Math.min(rt.length - 1, Math.floor(p * rt.length))] ?? NaN;
  return { achievedRate: span > 0 ? (rt.length - 1) / span : 0, p50: q(0.5), p99: q(0.99), max: rt[rt.length - 1] ?? NaN };
}

function readErrors(dir: string): string {
  try {
    const f = readdirSync(dir).find((n) => n.startsWith('err'));
    return f ? readFileSync(join(dir, f), 'utf8').slice(-1500) : '';
  } catch {
    return '';
  }
}

function readScreenTable(dir: string): string | undefined {
  try {
    const f = readdirSync(dir).find((n) => n.endsWith('_screen.log'));
    if (!f) return undefined;
    const lines = readFileSync(join(dir, f), 'utf8').split('\n');
    const start = lines.findIndex((l) => l.includes('Messages  Retrans'));
    if (start < 0) return undefined;
    const out: string[] = [];
    for (let i = start; i < lines.length && out.length < 14; i++) {
      const l = lines[i] ?? '';
      if (l.startsWith('---')) break;
      if (l.trim()) out.push(l.trimEnd());
    }
    return out.join('\n');
  } catch {
    return undefined;
  }
}
