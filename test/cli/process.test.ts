// The CLI as a real process: the main-module detection, and start → SIGTERM → exit 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/config/index.js';

const root = packageRoot();
// tsx by absolute URL: the start test runs in a temp directory where `tsx` would not resolve.
const tsxArgs = ['--import', pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(root, 'src', 'cli.ts')];
// `start` needs the rest of the system; until main.ts's imports exist, say so and skip.
const mainReady = ['src/main.ts', 'src/transport/index.ts', 'src/observability/http.ts'].every((f) => existsSync(join(root, f)));
if (!mainReady) console.warn('skipping start test: src/main.ts and its layers are not all there yet');

describe('palisade as a process', () => {
  it('runs when invoked directly', () => {
    const r = spawnSync(process.execPath, [...tsxArgs, '--version'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^palisade \d+\.\d+\.\d+/);
  });

  it('unknown command exits 2', () => {
    expect(spawnSync(process.execPath, [...tsxArgs, 'nope'], { cwd: root, encoding: 'utf8' }).status).toBe(2);
  });

  it.skipIf(!mainReady)('start, then SIGTERM stops it with exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-start-'));
    const cfg = join(dir, 'p.yaml');
    writeFileSync(cfg, 'log: { level: info }\nhttp: { port: 0 }\nrealms:\n  external:\n    listeners:\n      - { transport: udp, port: 0 }\n');
    const child = spawn(process.execPath, [...tsxArgs, 'start', '--config', cfg], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const started = await Promise.race([
      new Promise<boolean>((res) => child.stdout.on('data', () => out.includes('palisade started') && res(true))),
      exited.then(() => false),
      new Promise<boolean>((res) => setTimeout(() => res(false), 20_000)),
    ]);
    expect(started, out).toBe(true);
    child.kill('SIGTERM');
    expect(await exited, out).toBe(0);
  });
});
