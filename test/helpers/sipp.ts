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

export async function runSipp(o: SippOptions): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-sipp-'));
  const localIp = o.localIp ?? '127.0.0.1';
  const port = await freePort(localIp);
  const args = [
    o.target,
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
