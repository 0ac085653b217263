// A real redis-server (Debian package redis-server) on a free loopback port, with no
// persistence, that a test can stop and start again on the same port (an outage) or
// freeze and thaw (a server that holds connections but answers nothing). Also a
// Sentinel in front of one, and a three-master Cluster.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from './ports.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** kills the server (connections drop at once) */
  stop(): Promise<void>;
  /** starts it again on the same port, empty (nothing is persisted) */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open, commands go unanswered */
  pause(): void;
  /** SIGCONT */
  resume(): void;
}

const READY_TIMEOUT_MS = 5000;

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  async function launch(): Promise<void> {
    const c = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = c;
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await answersPing(port))) {
      if (c.exitCode !== null) throw new Error(`redis-server exited (${c.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer within ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    // SIGKILL ends even a SIGSTOPped process; no SIGCONT needed, and no chance for it to
    // answer one more command on its way out.
    c.kill('SIGKILL');
    await exited;
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}

/** One PING over a raw socket: true on +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export interface RedisGroup {
  /** what the store is given: sentinel addresses, or cluster seed nodes */
  readonly nodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

function spawnServer(args: string[], cwd: string): ChildProcess {
  return spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'ignore'], cwd });
}

async function waitPing(port: number, c: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    if (c.exitCode !== null) throw new Error(`redis-server on ${port} exited (${c.exitCode})`);
    if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer within ${READY_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function killAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await exited;
    }),
  );
}

/** One Sentinel (redis-server --sentinel) watching `masterPort` as group `name`. */
export async function startSentinel(masterPort: number, name = 'mymaster'): Promise<RedisGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-sentinel-'));
  const port = await freePort();
  const conf = join(dir, 'sentinel.conf');
  // Sentinel rewrites its config file, so it must be a writable file of its own.
  writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nprotected-mode no\nsentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
  const c = spawnServer([conf, '--sentinel'], dir);
  await waitPing(port, c);
  return {
    nodes: [{ host: '127.0.0.1', port }],
    async stop() {
      await killAll([c]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A three-master Redis Cluster on loopback, slots spread by `redis-cli --cluster create`. */
export async function startCluster(masters = 3): Promise<RedisGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort();
      // The bus port is normally port+10000, which may be taken or beyond 65535: pick one.
      const busPort = await freePort();
      const c = spawnServer(
        ['--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
          '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--dir', dir],
        dir,
      );
      children.push(c);
      ports.push(port);
      await waitPing(port, c);
    }
    await new Promise<void>((resolve, reject) => {
      execFile('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 }, (err, _out, stderr) =>
        err ? reject(new Error(`redis-cli --cluster create failed: ${stderr}`)) : resolve(),
      );
    });
    // Wait until every node agrees the cluster is serving.
    const deadline = Date.now() + 10_000;
    for (const p of ports) {
      while (!(await clusterOk(p))) {
        if (Date.now() > deadline) throw new Error('cluster did not reach cluster_state:ok');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await killAll(children);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
    async stop() {
      await killAll(children);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function clusterOk(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(500, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('CLUSTER INFO\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('cluster_state:')) done(buf.includes('cluster_state:ok'));
    });
  });
}
