// Palisade under test: a separate `node dist/src/cli.js start` process with a
// generated config (UDP external listener → softswitch pool of one SIPp uas), so
// its CPU time can be read from /proc/<pid>/stat apart from everything else.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cpuSeconds, freeTcpPort, freeUdpPort, sleep, spawnOwned } from './proc.js';

export interface PalisadeProcess {
  readonly pid: number;
  /** host:port of the external UDP listener, where the UAC sends its calls */
  readonly target: string;
  /** host:port of the external TLS listener, with `tls` */
  readonly tlsTarget: string | undefined;
  readonly configFile: string;
  cpu(): number;
  alive(): boolean;
  /** last lines Palisade wrote (warnings and errors only) */
  output(): string;
  stop(): Promise<void>;
}

export interface PalisadeOptions {
  repoRoot: string;
  externalIp: string;
  internalIp: string;
  softswitch: { host: string; port: number };
  /** extra config merged at the top level (e.g. to turn topology options off) */
  extra?: Record<string, unknown>;
  /** also listen on TLS (external), with a certificate generated at start */
  tls?: boolean;
}

export function palisadeConfig(o: PalisadeOptions & { externalPort: number; internalPort: number; httpPort: number; dir: string; tlsPort?: number }): Record<string, unknown> {
  return {
    node: { name: 'palisade-bench' },
    log: { level: 'warn' },
    http: { enabled: true, address: '127.0.0.1', port: o.httpPort },
    transport: { tls: { certFile: join(o.dir, 'server.crt'), keyFile: join(o.dir, 'server.key'), caFile: join(o.dir, 'ca.crt'), generateIfMissing: o.tls === true, watch: false } },
    realms: {
      external: {
        listeners: [
          { id: 'ext-udp', transport: 'udp', address: o.externalIp, port: o.externalPort },
          ...(o.tls === true && o.tlsPort !== undefined ? [{ id: 'ext-tls', transport: 'tls', address: o.externalIp, port: o.tlsPort }] : []),
        ],
      },
      internal: { listeners: [{ id: 'int-udp', transport: 'udp', address: o.internalIp, port: o.internalPort }] },
    },
    softswitches: {
      targets: [{ id: 'ss1', host: o.softswitch.host, port: o.softswitch.port, transport: 'udp' }],
      // one probe at start, none during the run; one lost probe never takes it down
      health: { intervalMs: 3_600_000, timeoutMs: 500, downAfter: 1000 },
    },
    // the SIPp caller is a trunk identified by its address (as Kamailio's permissions
    // module would do), with packet limits far above the ramp's top rate
    trunks: [{ id: 'bench', sources: [{ cidr: '127.0.0.0/8' }], limits: { packetRate: 1_000_000, packetBurst: 1_000_000 } }],
    // signalling only, like the Kamailio it is compared with (no media anchoring), and no
    // overload shedding: the ramp looks for the rate where calls start to fail
    media: { enabled: false },
    security: { admission: { maxEventLoopLagMs: 0 } },
    ...(o.extra ?? {}),
  };
}

export async function startPalisade(o: PalisadeOptions): Promise<PalisadeProcess> {
  const cli = join(o.repoRoot, 'dist', 'src', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} not found: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cps-'));
  const externalPort = await freeUdpPort(o.externalIp);
  const internalPort = await freeUdpPort(o.internalIp);
  const httpPort = await freeTcpPort('127.0.0.1');
  const tlsPort = o.tls === true ? await freeTcpPort(o.externalIp) : undefined;
  const configFile = join(dir, 'palisade.yaml');
  writeFileSync(configFile, stringify(palisadeConfig({ ...o, externalPort, internalPort, httpPort, dir, ...(tlsPort !== undefined ? { tlsPort } : {}) })));
  // PALISADE_* variables would override the generated file: leave them out.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PALISADE_')) env[k] = v;
  env.NODE_ENV = 'production';
  const child = spawnOwned(process.execPath, [cli, 'start', '--config', configFile], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out += d.toString();
    if (out.length > 20_000) out = out.slice(-10_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const isAlive = (): boolean => child.exitCode === null && child.signalCode === null;

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!isAlive()) throw new Error(`palisade exited at start (code ${child.exitCode}):\n${out}`);
    if (await ready(httpPort)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`palisade not ready after 15 s:\n${out}`);
    }
    await sleep(100);
  }
  return {
    pid: child.pid ?? -1,
    target: `${o.externalIp}:${externalPort}`,
    tlsTarget: tlsPort === undefined ? undefined : `${o.externalIp}:${tlsPort}`,
    configFile,
    cpu: () => (child.pid ? cpuSeconds(child.pid) : 0),
    alive: isAlive,
    output: () => out.slice(-4000),
    async stop() {
      if (isAlive()) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ready(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/ready', timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}
