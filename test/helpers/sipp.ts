// Runs SIPp (Debian package sip-tester) as a real peer and reports how its calls ended.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface SippRun {
  code: number | null;
  successful: number;
  failed: number;
  stdout: string;
  stderr: string;
  /** Contents of -trace_msg, when asked for. */
  messages: string;
}

export interface SippOptions {
  scenario: string; // path to an XML file, or a built-in name with builtin: true
  builtin?: boolean;
  target: string; // host:port ([::1]:port for IPv6)
  localIp?: string;
  transport?: 'u1' | 't1' | 'tn' | 'un';
  calls?: number;
  rate?: number;
  timeoutSeconds?: number;
  extra?: string[];
  traceMsg?: boolean;
}

/** The command line both runners use: bounded calls, stats and errors traced into `dir`. */
function sippArgs(o: SippOptions, dir: string, localIp: string, port: number): string[] {
  return [
    ...(o.target ? [o.target] : []),
    ...(o.builtin ? ['-sn', o.scenario] : ['-sf', o.scenario]),
    '-i', localIp,
    '-p', String(port),
    '-t', o.transport ?? 'u1',
    '-m', String(o.calls ?? 1),
    '-r', String(o.rate ?? 10),
    '-l', String(Math.max(100, (o.calls ?? 1) * 2)),
    '-timeout', `${o.timeoutSeconds ?? 15}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_stat', '-stf', join(dir, 'stat.csv'),
    '-trace_err', '-error_file', join(dir, 'err.log'),
    ...(o.traceMsg ? ['-trace_msg', '-message_file', join(dir, 'msg.log')] : []),
    ...(o.extra ?? []),
  ];
}

export async function runSipp(o: SippOptions): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-sipp-'));
  const localIp = o.localIp ?? '127.0.0.1';
  const port = await freePort(localIp);
  const args = sippArgs(o, dir, localIp, port);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.length > 1e6) stdout = stdout.slice(-5e5); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const { successful, failed } = readStats(join(dir, 'stat.csv'));
  let messages = '';
  if (o.traceMsg) {
    try { messages = readFileSync(join(dir, 'msg.log'), 'latin1'); } catch { /* no messages */ }
  }
  return { code, successful, failed, stdout, stderr: stderr + readErr(dir), messages };
}

function readStats(file: string): { successful: number; failed: number } {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const head = lines[0]?.split(';') ?? [];
    const last = lines[lines.length - 1]?.split(';') ?? [];
    const col = (name: string) => Number(last[head.indexOf(name)] ?? 0);
    return { successful: col('SuccessfulCall(C)'), failed: col('FailedCall(C)') };
  } catch {
    return { successful: 0, failed: 0 };
  }
}

function readErr(dir: string): string {
  try {
    const f = readdirSync(dir).find((n) => n.startsWith('err'));
    return f ? readFileSync(join(dir, f), 'utf8').slice(0, 4000) : '';
  } catch {
    return '';
  }
}

export interface SippProcessOptions extends SippOptions {
  /** Local port; a free one on localIp when omitted. */
  port?: number;
  /** Kill the process after this long whatever happens (bounded lifetime); default 30 s. */
  killAfterMs?: number;
}

export interface SippProcess {
  readonly port: number;
  readonly dir: string;
  /** Resolves when SIPp exits (by itself or through stop()). */
  readonly done: Promise<SippRun>;
  /** SIGTERM now (SIGKILL a second later if it lingers); resolves with the run. */
  stop(): Promise<SippRun>;
}

/**
 * Starts SIPp in the background (a UAS waiting for calls, typically) and returns at
 * once; `done` settles when it exits. Same arguments as runSipp, plus a fixed port.
 */
export async function spawnSipp(o: SippProcessOptions): Promise<SippProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-sipp-'));
  const localIp = o.localIp ?? '127.0.0.1';
  const port = o.port ?? (await freePort(localIp));
  const args = sippArgs(o, dir, localIp, port);
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (stdout.length > 1e6) stdout = stdout.slice(-5e5); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 30_000);
  killer.unref();
  const done = new Promise<SippRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      const { successful, failed } = readStats(join(dir, 'stat.csv'));
      let messages = '';
      if (o.traceMsg) {
        try { messages = readFileSync(join(dir, 'msg.log'), 'latin1'); } catch { /* no messages */ }
      }
      resolve({ code, successful, failed, stdout, stderr: stderr + readErr(dir), messages });
    });
  });
  // SIPp binds its socket right after start; give it that moment so the first packet
  // sent to it is not refused.
  await waitBound(localIp, port, o.transport ?? 'u1', 2000);
  return {
    port,
    dir,
    done,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 1000);
        t.unref();
      }
      return done;
    },
  };
}

/** Polls until something is bound at host:port (UDP: a bind attempt fails), or gives up quietly. */
async function waitBound(host: string, port: number, transport: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  const { createSocket } = await import('node:dgram');
  const { connect } = await import('node:net');
  while (Date.now() < deadline) {
    const bound = await new Promise<boolean>((resolve) => {
      if (transport.startsWith('u')) {
        const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
        s.once('error', () => resolve(true));
        s.bind(port, host, () => s.close(() => resolve(false)));
      } else {
        const c = connect({ host, port });
        c.once('connect', () => { c.destroy(); resolve(true); });
        c.once('error', () => resolve(false));
      }
    });
    if (bound) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface SippPairResult {
  uac: SippRun;
  uas: SippRun;
}

/**
 * Starts `uas` (waiting for calls), runs `uac` to completion, then waits up to
 * `uasGraceMs` for the uas to finish its own calls (it is stopped after that).
 * `uasStarted` runs once the uas is listening, before the uac starts.
 */
export async function runSippPair(o: { uas: SippProcessOptions; uac: SippOptions; uasGraceMs?: number; uasStarted?: (uas: SippProcess) => void | Promise<void> }): Promise<SippPairResult> {
  const uas = await spawnSipp(o.uas);
  try {
    await o.uasStarted?.(uas);
    const uac = await runSipp(o.uac);
    const timer = setTimeout(() => void uas.stop(), o.uasGraceMs ?? 3000);
    const s = await uas.done;
    clearTimeout(timer);
    return { uac, uas: s };
  } finally {
    await uas.stop();
  }
}
