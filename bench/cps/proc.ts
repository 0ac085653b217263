// Process plumbing for the call-rate benchmark: children we own (killed on exit),
// CPU time from /proc, free loopback ports, small waits.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const owned = new Set<ChildProcess>();
const ownedPids = new Set<number>();
const cleanups = new Set<() => void>();

/** spawn() whose child is killed (SIGKILL) if the benchmark exits before it does. */
export function spawnOwned(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, opts);
  owned.add(child);
  child.once('exit', () => owned.delete(child));
  child.once('error', () => owned.delete(child));
  return child;
}

/** A process we did not spawn directly (a daemon's pid from its pid file) but own. */
export function ownPid(pid: number): () => void {
  ownedPids.add(pid);
  return () => ownedPids.delete(pid);
}

/** Something to run (synchronously) on exit, e.g. stopping a daemon. */
export function onCleanup(fn: () => void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export function killAllOwned(): void {
  for (const fn of cleanups) {
    try { fn(); } catch { /* best effort */ }
  }
  cleanups.clear();
  for (const c of owned) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  for (const pid of ownedPids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

let installed = false;
/** Kill every owned child on exit, SIGINT, SIGTERM and uncaught errors. */
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllOwned);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      process.stderr.write(`\ncps: ${sig}, stopping children\n`);
      killAllOwned();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`cps: ${err.stack ?? String(err)}\n`);
    killAllOwned();
    process.exit(1);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let clkTck: number | undefined;
/** Clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface ProcStat { pid: number; ppid: number; ticks: number }

function readStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: split after the last ')'
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15
    const ppid = Number(rest[1]);
    const ticks = Number(rest[11]) + Number(rest[12]);
    return { pid, ppid, ticks };
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by pid (all its threads). 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  return (readStat(pid)?.ticks ?? 0) / clockTicks();
}

/** CPU seconds used so far by pid and its direct children (Kamailio's workers). */
export function cpuSecondsWithChildren(pid: number): { seconds: number; processes: number } {
  let ticks = 0;
  let processes = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (!st) continue;
    if (st.pid === pid || st.ppid === pid) {
      ticks += st.ticks;
      processes++;
    }
  }
  return { seconds: ticks / clockTicks(), processes };
}

/** A process's direct children, by pid. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readStat(Number(name));
    if (st && st.ppid === pid) out.push(st.pid);
  }
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A UDP port free on host (by binding port 0 and releasing it). */
export async function freeUdpPort(host: string, avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (!avoid.has(port)) return port;
  }
  throw new Error(`no free UDP port on ${host}`);
}

/** A TCP port free on host. */
export function freeTcpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

/** True when something is bound to host:port/udp (our own bind attempt fails). */
export function udpBound(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => resolve(true));
    s.bind(port, host, () => s.close(() => resolve(false)));
  });
}

export async function waitUdpBound(host: string, port: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await udpBound(host, port)) return true;
    await sleep(25);
  }
  return false;
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Host-wide UDP receive-buffer drops so far (/proc/net/snmp Udp RcvbufErrors). */
export function udpRcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const head = lines[0]?.split(/\s+/) ?? [];
    const vals = lines[1]?.split(/\s+/) ?? [];
    const i = head.indexOf('RcvbufErrors');
    return i > 0 ? Number(vals[i] ?? 0) : 0;
  } catch {
    return 0;
  }
}
