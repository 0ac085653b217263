// A real redis-server (Debian package redis-server) on a free loopback port, with no
// persistence, that a test can stop and start again on the same port (an outage) or
// freeze and thaw (a server that holds connections but answers nothing).
import { spawn, type ChildProcess } from 'node:child_process';
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
