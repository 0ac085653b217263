// stunnel4 in client mode: accepts plain TCP (SIPp's t1 mode; SIPp here is built
// without TLS) and carries it over TLS to Palisade's TLS listener. Foreground, no pid
// file, a generated config in a temp dir, and a bounded lifetime.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface StunnelOptions {
  acceptHost: string;
  /** Local port to accept on; a free one when omitted. */
  acceptPort?: number;
  connectHost: string;
  connectPort: number;
  /** CA to verify the server's chain with; without it the server is not verified. */
  caFile?: string;
  /** Killed after this long whatever happens; default 60 s. */
  killAfterMs?: number;
}

export interface Stunnel {
  readonly port: number;
  /** What stunnel logged (stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startStunnelClient(o: StunnelOptions): Promise<Stunnel> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-stunnel-'));
  const port = o.acceptPort ?? (await freePort(o.acceptHost));
  const conf = [
    'foreground = yes',
    'pid =',
    'debug = 5',
    'syslog = no',
    '',
    '[sip-tls]',
    'client = yes',
    `accept = ${o.acceptHost}:${port}`,
    `connect = ${o.connectHost}:${o.connectPort}`,
    ...(o.caFile ? ['verifyChain = yes', `CAfile = ${o.caFile}`] : ['verifyChain = no', 'verifyPeer = no']),
    'sslVersionMin = TLSv1.2',
    '',
  ].join('\n');
  const file = join(dir, 'stunnel.conf');
  writeFileSync(file, conf);
  const child = spawn('stunnel4', [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((r) => child.on('close', () => r()));
  const killer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 60_000);
  killer.unref();

  // ready once it says so; fail early if it exits or stays silent
  const deadline = Date.now() + 5000;
  let dead = false;
  void exited.then(() => { dead = true; });
  while (!/Configuration successful/i.test(out)) {
    if (dead || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`stunnel4 did not start:\n${conf}\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    log: () => out,
    async stop() {
      clearTimeout(killer);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 1000);
        t.unref();
      }
      await exited;
    },
  };
}
