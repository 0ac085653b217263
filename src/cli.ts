// The command line: `palisade start | check-config | gen-certs | config-docs`.
// runCli returns an exit code instead of exiting, so tests drive it in-process;
// only the signal path of `start` ends the process itself.
import { realpathSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { formatConfigError, loadConfig, packageVersion, renderConfigDocs, type LoadResult, type PalisadeConfig } from './config/index.js';
import { generateCertificates } from './transport/certs.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** What `start` needs from src/main.ts; declared here so the CLI type-checks on its own. */
interface MainModule {
  startPalisade(config: PalisadeConfig, opts: { configFile?: string; handleSignals?: boolean }): Promise<{ stop(): Promise<void> }>;
}

const USAGE = `Usage: palisade <command> [options]

Commands:
  start [--config FILE]          run the SBC (config: FILE, else $PALISADE_CONFIG, else built-in defaults)
  check-config FILE [--print]    validate FILE plus PALISADE_* overrides; --print shows the effective config
  gen-certs [--host NAME]... [--ip ADDR]... [--out DIR] [--days N] [--force]
                                 write a self-signed CA and server certificate (ca.crt, ca.key, server.crt, server.key)
  config-docs                    print the configuration reference (Markdown) generated from the schema
  bans list [--config FILE]      list the bans of a running instance (through its admin HTTP endpoint)
  bans add ADDR [--reason R] [--ttl SECONDS] [--config FILE]
                                 ban an address (IPv4 or IPv6) on the running instance, and on the fleet with Redis
  bans remove ADDR [--config FILE]
                                 lift a ban

Options:
  -h, --help                     show this help (also after a command)
  -V, --version                  show the version

Exit codes: 0 ok, 1 failure (invalid config, files exist, start failed), 2 usage error or unusable config at start.
`;

class UsageError extends Error {}

export async function runCli(argv: string[], ioIn: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = {
    stdout: ioIn.stdout ?? ((t) => void process.stdout.write(t)),
    stderr: ioIn.stderr ?? ((t) => void process.stderr.write(t)),
    env: ioIn.env ?? process.env,
  };
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.stderr(USAGE);
        return 2;
      case '-h':
      case '--help':
      case 'help':
        io.stdout(USAGE);
        return 0;
      case '-V':
      case '--version':
      case 'version':
        io.stdout(`palisade ${packageVersion()}\n`);
        return 0;
      case 'start':
        return await start(rest, io);
      case 'check-config':
        return checkConfig(rest, io);
      case 'gen-certs':
        return await genCerts(rest, io);
      case 'bans':
        return await bans(rest, io);
      case 'config-docs':
        parse(rest, {});
        io.stdout(renderConfigDocs());
        return 0;
      default:
        io.stderr(`palisade: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.stderr(`palisade ${command ?? ''}: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof HelpRequested) {
      io.stdout(USAGE);
      return 0;
    }
    throw err;
  }
}

class HelpRequested extends Error {}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** parseArgs in strict mode plus a --help on every command. */
function parse<O extends Options>(args: string[], options: O, positionals = 0) {
  const r = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: positionals > 0 });
  if ((r.values as { help?: boolean }).help === true) throw new HelpRequested();
  if (r.positionals.length > positionals) throw new UsageError(`unexpected argument "${r.positionals[positionals] ?? ''}"`);
  return r;
}

function printErrors(result: Extract<LoadResult, { ok: false }>, file: string, io: CliIo): void {
  for (const e of result.errors) io.stderr(`${formatConfigError(e, file)}\n`);
}

function checkConfig(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, { print: { type: 'boolean' } }, 1);
  const file = positionals[0];
  if (file === undefined) throw new UsageError('missing FILE');
  const result = loadConfig({ file, env: io.env });
  if (!result.ok) {
    printErrors(result, file, io);
    return 1;
  }
  io.stdout(`ok: ${file}\n`);
  if (values.print === true) io.stdout(stringify(result.config));
  return 0;
}

async function genCerts(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    host: { type: 'string', multiple: true },
    ip: { type: 'string', multiple: true },
    out: { type: 'string', short: 'o' },
    days: { type: 'string' },
    force: { type: 'boolean' },
  });
  let hosts = values.host ?? [];
  let ips = values.ip ?? [];
  for (const ip of ips) if (isIP(ip) === 0) throw new UsageError(`--ip ${ip}: not an IPv4 or IPv6 address`);
  for (const h of hosts) if (!/^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$/.test(h)) throw new UsageError(`--host ${h}: not a DNS name`);
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 36500)) throw new UsageError(`--days ${values.days ?? ''}: expected a whole number of days, 1–36500`);
  if (hosts.length === 0 && ips.length === 0) {
    hosts = ['localhost'];
    ips = ['127.0.0.1', '::1'];
    io.stderr('no --host or --ip given: using localhost, 127.0.0.1 and ::1\n');
  }
  const dir = resolve(values.out ?? 'certs');
  if (values.force !== true) {
    const existing = ['ca.crt', 'ca.key', 'server.crt', 'server.key'].map((f) => join(dir, f)).filter((f) => existsSync(f));
    if (existing.length > 0) {
      io.stderr(`palisade gen-certs: refusing to overwrite ${existing.join(', ')} (use --force)\n`);
      return 1;
    }
  }
  const files = await generateCertificates({ hosts, ips, dir, ...(days !== undefined ? { days } : {}) });
  io.stdout(`wrote ${files.caCert}\nwrote ${files.caKey}\nwrote ${files.cert}\nwrote ${files.key}\n`);
  io.stdout(`server certificate for: ${[...hosts.map((h) => `DNS:${h}`), ...ips.map((i) => `IP:${i}`)].join(', ')}\n`);
  return 0;
}

/**
 * Bans live in the running process (and, with Redis, in the fleet), so the CLI talks to
 * the instance's admin endpoint on its HTTP server, found from the same config.
 */
async function bans(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'add' && sub !== 'remove') throw new UsageError('bans needs list, add or remove');
  const { values, positionals } = parse(rest, { config: { type: 'string', short: 'c' }, reason: { type: 'string' }, ttl: { type: 'string' } }, sub === 'list' ? 0 : 1);
  const result = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), env: io.env });
  if (!result.ok) {
    printErrors(result, result.file ?? 'config', io);
    return 2;
  }
  const { http } = result.config;
  if (!http.enabled) {
    io.stderr('palisade bans: http.enabled is false in this config, so the instance has no admin endpoint\n');
    return 1;
  }
  const host = http.address === '0.0.0.0' ? '127.0.0.1' : http.address === '::' ? '::1' : http.address;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${http.port}/admin/bans`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (http.adminToken !== undefined) headers.authorization = `Bearer ${http.adminToken}`;
  let res: Response;
  try {
    if (sub === 'list') res = await fetch(base, { headers });
    else if (sub === 'add') {
      const ttl = values.ttl !== undefined ? Number(values.ttl) : undefined;
      if (ttl !== undefined && !(ttl > 0)) throw new UsageError('--ttl takes a number of seconds');
      res = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ address: positionals[0], reason: values.reason, ttlSeconds: ttl }) });
    } else res = await fetch(`${base}/${encodeURIComponent(positionals[0] ?? '')}`, { method: 'DELETE', headers });
  } catch (err) {
    io.stderr(`palisade bans: cannot reach ${base}: ${(err as Error).message}\n`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { bans?: Array<{ address: string; reason: string; until: number; origin: string }>; error?: string; lifted?: boolean };
  if (!res.ok) {
    io.stderr(`palisade bans: ${res.status} ${body.error ?? (body.lifted === false ? 'no such ban' : '')}\n`);
    return 1;
  }
  if (sub === 'list') {
    const list = body.bans ?? [];
    for (const b of list) io.stdout(`${b.address}\t${b.reason}\tuntil ${new Date(b.until).toISOString()}\t${b.origin}\n`);
    if (list.length === 0) io.stdout('no bans\n');
  } else io.stdout(sub === 'add' ? `banned ${positionals[0]}\n` : `lifted ${positionals[0]}\n`);
  return 0;
}

async function start(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { config: { type: 'string', short: 'c' } });
  const result = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), env: io.env });
  if (!result.ok) {
    io.stderr('palisade: invalid configuration, not starting\n');
    printErrors(result, result.file ?? 'config', io);
    return 2;
  }
  // A variable specifier keeps this file compiling even while main.ts changes shape.
  const mainPath = './main.js';
  const main = (await import(mainPath)) as MainModule;
  let handle: { stop(): Promise<void> };
  try {
    handle = await main.startPalisade(result.config, { ...(result.file !== undefined ? { configFile: result.file } : {}), handleSignals: true });
  } catch (err) {
    io.stderr(`palisade: failed to start: ${(err as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        io.stderr(`palisade: ${signal} again, exiting now\n`);
        process.exit(1);
      }
      stopping = true;
      // Bound the graceful stop: a wedged socket must not keep a supervisor waiting forever.
      setTimeout(() => {
        io.stderr('palisade: stop took longer than 10 s, exiting\n');
        process.exit(1);
      }, 10_000).unref();
      handle.stop().then(
        () => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          // Should a stray handle keep the loop alive after stop, still exit promptly.
          setTimeout(() => process.exit(0), 2000).unref();
          done(0);
        },
        (err: unknown) => {
          io.stderr(`palisade: error while stopping: ${(err as Error).message}\n`);
          done(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
