// Kamailio beside Palisade: Debian's package with bench/cps/kamailio.cfg, started
// under setsid (on stop it signals its whole process group, which must not be ours)
// with a pid file of our own; its CPU is the sum over the main process and its
// workers.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive, childPids, cpuSecondsWithChildren, freeTcpPort, freeUdpPort, onCleanup, ownPid, sleep, spawnOwned, waitUdpBound } from './proc.js';

export interface KamailioProcess {
  readonly pid: number;
  readonly target: string;
  /** host:port of the TLS listen socket, when started with `tls` */
  readonly tlsTarget: string | undefined;
  readonly version: string;
  /** CPU seconds of the main process and its workers so far. */
  cpu(): number;
  processes(): number;
  alive(): boolean;
  stop(): Promise<void>;
}

/** The kamailio binary, or undefined when it is not installed. */
export function findKamailio(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin']) {
    if (!dir) continue;
    const p = join(dir, 'kamailio');
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function kamailioVersion(bin: string): string {
  try {
    const out = execFileSync(bin, ['-v'], { encoding: 'utf8', timeout: 5000 });
    return /version:\s*(\S+\s+\S+)/.exec(out)?.[1] ?? out.split('\n')[0] ?? '?';
  } catch {
    return '?';
  }
}

export async function startKamailio(o: { bin: string; cfg: string; listenIp: string; uas: { host: string; port: number }; children: number; tls?: { certFile: string; keyFile: string } }): Promise<KamailioProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cps-kamailio-'));
  const pidFile = join(dir, 'kamailio.pid');
  const port = await freeUdpPort(o.listenIp);
  const tlsPort = o.tls !== undefined ? await freeTcpPort(o.listenIp) : undefined;
  const version = kamailioVersion(o.bin);
  const args = [
    o.bin,
    '-f', o.cfg,
    '-P', pidFile,
    '-Y', dir,
    '-w', dir,
    '-l', `udp:${o.listenIp}:${port}`,
    ...(o.tls !== undefined && tlsPort !== undefined
      ? ['-l', `tls:${o.listenIp}:${tlsPort}`, '-A', `TLS_CERT="${o.tls.certFile}"`, '-A', `TLS_KEY="${o.tls.keyFile}"`]
      : []),
    '-A', `UAS_URI="sip:${o.uas.host}:${o.uas.port}"`,
    '-n', String(o.children),
    '-m', '256',
    '-M', '16',
  ];
  // setsid: a session (and process group) of its own. Kamailio daemonizes; the
  // launcher exits once the pid file is written.
  const launcher = spawnOwned('setsid', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  launcher.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  launcher.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => {
    const t = setTimeout(() => { launcher.kill('SIGKILL'); r(null); }, 15_000);
    launcher.once('exit', (c) => { clearTimeout(t); r(c); });
  });
  let pid = 0;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 0) break;
    } catch {
      // not written yet
    }
    await sleep(50);
  }
  if (code !== 0 || !(pid > 0)) throw new Error(`kamailio did not start (exit ${code}):\n${out.slice(-3000)}`);
  const disown = ownPid(pid);
  const killGroup = (sig: NodeJS.Signals): void => {
    for (const p of [pid, ...childPids(pid)]) {
      try { process.kill(p, sig); } catch { /* gone */ }
    }
  };
  const undoCleanup = onCleanup(() => killGroup('SIGKILL'));
  if (!(await waitUdpBound(o.listenIp, port, 5000))) {
    killGroup('SIGKILL');
    throw new Error(`kamailio did not bind ${o.listenIp}:${port}`);
  }
  await sleep(300); // workers settle
  return {
    pid,
    target: `${o.listenIp}:${port}`,
    tlsTarget: tlsPort === undefined ? undefined : `${o.listenIp}:${tlsPort}`,
    version,
    cpu: () => cpuSecondsWithChildren(pid).seconds,
    processes: () => cpuSecondsWithChildren(pid).processes,
    alive: () => alive(pid),
    async stop() {
      const kids = childPids(pid);
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      const until = Date.now() + 5000;
      while (Date.now() < until && (alive(pid) || kids.some(alive))) await sleep(50);
      for (const p of [pid, ...kids]) {
        try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
      }
      undoCleanup();
      disown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
