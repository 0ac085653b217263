// The command line's contract: output and exit codes (0 ok, 1 failure, 2 usage).
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/config/index.js';
import { run } from './run.js';

const root = packageRoot();
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

function tempFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'palisade-cli-')), name);
  writeFileSync(file, text);
  return file;
}

describe('palisade', () => {
  it('--version prints the package version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `palisade ${version}\n`, stderr: '' });
    expect((await run(['-V'])).stdout).toBe(`palisade ${version}\n`);
  });

  it('--help prints usage on stdout', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: palisade/);
    for (const cmd of ['start', 'check-config', 'gen-certs']) expect(r.stdout).toContain(cmd);
    expect((await run(['check-config', '--help'])).code).toBe(0);
  });

  it('an unknown command: usage on stderr, exit 2', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('Usage: palisade');
  });

  it('no command: usage on stderr, exit 2', async () => {
    expect((await run([])).code).toBe(2);
  });

  it('an unknown option: exit 2', async () => {
    const r = await run(['check-config', 'x.yaml', '--frob']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--frob');
  });
});

describe('palisade check-config', () => {
  it('ok for a valid file', async () => {
    const file = join(root, 'config', 'default.yaml');
    expect(await run(['check-config', file])).toEqual({ code: 0, stdout: `ok: ${file}\n`, stderr: '' });
  });

  it('--print shows the effective config with overrides', async () => {
    const r = await run(['check-config', join(root, 'config', 'default.yaml'), '--print'], { PALISADE_HTTP__PORT: '9191' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('port: 9191');
  });

  it('one line per error, exit 1', async () => {
    const file = tempFile('bad.yaml', 'http:\n  port: 70000\n  prot: 1\n');
    const r = await run(['check-config', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'http.port: must be at most 65535, found 70000 (line 2, column 9)',
      'http.prot: unknown key (did you mean "port"?) (line 3, column 3)',
    ]);
  });

  it('names the file for a YAML syntax error', async () => {
    const file = tempFile('syntax.yaml', 'http: [\n');
    const r = await run(['check-config', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: YAML syntax error: .*\\(line \\d+, column \\d+\\)\\n$`));
  });

  it('names the environment variable of a bad override', async () => {
    const r = await run(['check-config', join(root, 'config', 'default.yaml')], { PALISADE_LOG__LEVLE: 'debug' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^log\.levle: unknown key "levle" .*\(from PALISADE_LOG__LEVLE\)\n$/);
  });

  it('a missing FILE is a usage error', async () => {
    expect((await run(['check-config'])).code).toBe(2);
  });

  it('a missing file fails', async () => {
    const r = await run(['check-config', '/nonexistent.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ENOENT');
  });
});

describe('palisade start', () => {
  it('refuses an invalid configuration with exit 2 before starting anything', async () => {
    const file = tempFile('bad.yaml', 'http: { port: -5 }\n');
    const r = await run(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toContain('http.port: must be at least 0, found -5');
  });
});

describe('palisade config-docs', () => {
  it('prints the generated reference', async () => {
    const r = await run(['config-docs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(root, 'docs', 'configuration.md'), 'utf8'));
  });
});
