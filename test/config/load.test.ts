// The loader: embedded defaults, and errors that name the exact key path and line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadConfigText, defaultConfigFile, type ConfigError } from '../../src/config/index.js';

const noEnv = {};

function errorsOf(yaml: string): ConfigError[] {
  const r = loadConfigText(yaml, { env: noEnv });
  if (r.ok) throw new Error('expected the config to be rejected');
  return r.errors;
}

describe('defaults', () => {
  it('loads config/default.yaml when no file is named', () => {
    const r = loadConfig({ env: noEnv });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.file).toBeUndefined();
    const ext = r.config.realms.external.listeners;
    expect(ext.map((l) => [l.id, l.transport, l.address, l.port])).toEqual([
      ['ext-udp', 'udp', '127.0.0.1', 5060],
      ['ext-tcp', 'tcp', '127.0.0.1', 5060],
      ['ext-tls', 'tls', '127.0.0.1', 5061],
    ]);
    expect(r.config.realms.internal.listeners.map((l) => [l.id, l.transport, l.address, l.port])).toEqual([['int-udp', 'udp', '127.0.0.1', 5080]]);
    expect(r.config.http).toEqual({ enabled: true, address: '127.0.0.1', port: 9090 });
    expect(r.config.transport.tls.certFile).toBe('certs/server.crt');
    expect(r.config.transport.tls.generateIfMissing).toBe(true);
  });

  it('fills schema defaults for keys a file leaves out, and an empty file is valid', () => {
    const r = loadConfigText('', { env: noEnv });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.log.level).toBe('info');
    expect(r.config.realms.external.listeners).toEqual([]);
  });

  it('takes the file from PALISADE_CONFIG, and an explicit file over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-cfg-'));
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, 'log: { level: debug }\n');
    writeFileSync(b, 'log: { level: warn }\n');
    const fromEnv = loadConfig({ env: { PALISADE_CONFIG: a } });
    expect(fromEnv.ok && fromEnv.config.log.level).toBe('debug');
    expect(fromEnv.ok && fromEnv.file).toBe(a);
    const explicit = loadConfig({ file: b, env: { PALISADE_CONFIG: a } });
    expect(explicit.ok && explicit.config.log.level).toBe('warn');
  });

  it('resolves the embedded defaults to the package config directory', () => {
    expect(defaultConfigFile()).toMatch(/config[/\\]default\.yaml$/);
  });
});

describe('errors', () => {
  it('a bad port: exact path, expected and found, line', () => {
    const errs = errorsOf(['realms:', '  external:', '    listeners:', '      - transport: udp', '      - transport: tcp', '        port: 70000', ''].join('\n'));
    expect(errs).toEqual([{ path: 'realms.external.listeners[1].port', message: 'must be at most 65535, found 70000', line: 6, column: 15 }]);
  });

  it('an unknown key, with a suggestion, pointing at the key', () => {
    const errs = errorsOf('http:\n  prot: 9090\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ path: 'http.prot', line: 2, column: 3 });
    expect(errs[0]?.message).toContain('unknown key');
    expect(errs[0]?.message).toContain('did you mean "port"');
  });

  it('an unknown top-level key', () => {
    expect(errorsOf('loging: {}\n')[0]?.path).toBe('loging');
  });

  it('a tls block on a udp listener', () => {
    const errs = errorsOf('realms:\n  external:\n    listeners:\n      - transport: udp\n        tls: { clientCert: require }\n');
    expect(errs).toEqual([expect.objectContaining({ path: 'realms.external.listeners[0].tls', message: 'tls settings are only valid on a tls listener' })]);
  });

  it('a wrong type says what it found', () => {
    const errs = errorsOf('http:\n  port: "abc"\n');
    expect(errs[0]).toMatchObject({ path: 'http.port', message: 'expected number, found string "abc"' });
  });

  it('an enum lists the choices', () => {
    expect(errorsOf('log: { level: loud }\n')[0]?.message).toBe('expected one of: fatal, error, warn, info, debug, trace, silent; found "loud"');
  });

  it('a missing required key', () => {
    expect(errorsOf('realms: { internal: { listeners: [ { port: 5060 } ] } }\n')[0]).toMatchObject({
      path: 'realms.internal.listeners[0].transport',
      message: 'required: expected one of: udp, tcp, tls; found nothing',
    });
  });

  it('reports every error at once', () => {
    expect(errorsOf('http: { port: -1, address: "" }\nlog: { level: 3 }\n').map((e) => e.path).sort()).toEqual(['http.address', 'http.port', 'log.level']);
  });

  it('a YAML syntax error, with line and column, as a value', () => {
    const errs = errorsOf('http:\n  port: [1\nlog: x\n');
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]?.path).toBe('');
    expect(errs[0]?.message).toMatch(/^YAML syntax error: /);
    expect(errs[0]?.line).toBe(3);
    expect(typeof errs[0]?.column).toBe('number');
  });

  it('duplicate YAML keys', () => {
    expect(errorsOf('log: {}\nlog: {}\n')[0]).toMatchObject({ path: '', line: 2 });
  });

  it('a top level that is not a mapping', () => {
    expect(errorsOf('- 1\n')[0]?.message).toMatch(/top level/);
  });

  it('an unreadable file', () => {
    const r = loadConfig({ file: '/nonexistent/palisade.yaml', env: noEnv });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toContain('ENOENT');
  });

  it('two listeners on one address and port, and duplicate ids', () => {
    const errs = errorsOf(
      [
        'realms:',
        '  external:',
        '    listeners:',
        '      - { id: a, transport: tcp, port: 5080 }',
        '      - { id: a, transport: tls, port: 5080 }',
        '      - { transport: udp, port: 5080 }',
        '',
      ].join('\n'),
    );
    expect(errs.map((e) => e.path)).toEqual(['realms.external.listeners[1].id', 'realms.external.listeners[1]']);
    expect(errs[1]?.message).toContain('already bound by realms.external.listeners[0]');
    expect(errs[1]?.line).toBe(5);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
    const r = loadConfigText(bomb, { env: noEnv });
    expect(r.ok).toBe(false);
  });
});
