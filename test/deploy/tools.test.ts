// The deploy files checked with the tools that consume them. Each test skips with
// a notice naming the Debian package when its tool is missing, and fails under CI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/config/index.js';
import { haveTool } from '../helpers/tools.js';

const root = packageRoot();
const deploy = join(root, 'deploy');

function sh(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('systemd unit', () => {
  const available = haveTool('systemd-analyze', 'systemd');

  // verify exits 0 even for unknown keys and bad values (it only warns), so the
  // test requires silence. It also checks that ExecStart's binary exists: the unit
  // names /usr/bin/node; where that is missing, a temp copy names this node.
  function unitForVerify(): string {
    const text = readFileSync(join(deploy, 'palisade.service'), 'utf8');
    if (existsSync('/usr/bin/node')) return join(deploy, 'palisade.service');
    const file = join(mkdtempSync(join(tmpdir(), 'palisade-unit-')), 'palisade.service');
    writeFileSync(file, text.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
    return file;
  }

  it.skipIf(!available)('passes systemd-analyze verify without a warning', () => {
    const r = sh('systemd-analyze', ['verify', unitForVerify()]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it.skipIf(!available)('has a low exposure score in systemd-analyze security', () => {
    const r = sh('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitForVerify()]);
    const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThan(3);
  });

  it('keeps the sandboxing it promises', () => {
    const text = readFileSync(join(deploy, 'palisade.service'), 'utf8');
    const keys = new Map<string, string>();
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m?.[1] !== undefined) keys.set(m[1], m[2] ?? '');
    }
    expect(keys.get('DynamicUser') === 'yes' || (keys.get('User') ?? 'root') !== 'root').toBe(true);
    for (const [k, v] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      ProtectHome: 'yes',
      PrivateTmp: 'yes',
      PrivateDevices: 'yes',
      CapabilityBoundingSet: 'CAP_NET_BIND_SERVICE',
      AmbientCapabilities: 'CAP_NET_BIND_SERVICE',
      SystemCallFilter: '@system-service',
      ExecReload: '/bin/kill -HUP $MAINPID',
      Restart: 'on-failure',
      StateDirectory: 'palisade',
      ConfigurationDirectory: 'palisade',
    })) {
      expect(keys.get(k), k).toBe(v);
    }
    expect(keys.get('RestrictAddressFamilies')?.split(' ')).toEqual(expect.arrayContaining(['AF_INET', 'AF_INET6', 'AF_UNIX']));
    // V8's JIT needs writable+executable memory.
    expect(keys.has('MemoryDenyWriteExecute')).toBe(false);
  });
});

describe('prometheus', () => {
  const available = haveTool('promtool', 'prometheus');

  it.skipIf(!available)('promtool check config', () => {
    const r = sh('promtool', ['check', 'config', join(deploy, 'prometheus', 'prometheus.yml')]);
    expect(r.code, r.out).toBe(0);
  });

  it.skipIf(!available)('promtool check rules', () => {
    const r = sh('promtool', ['check', 'rules', join(deploy, 'prometheus', 'alerts.yml')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: [1-9]\d* rules found/);
  });

  it.skipIf(!available)('promtool test rules: the alerts fire when they should', () => {
    const r = sh('promtool', ['test', 'rules', join(deploy, 'prometheus', 'alerts.test.yml')]);
    expect(r.code, r.out).toBe(0);
  });

  it('alerts on the metrics Palisade exports', () => {
    const rules = readFileSync(join(deploy, 'prometheus', 'alerts.yml'), 'utf8');
    const metrics = readFileSync(join(root, 'src', 'observability', 'metrics.ts'), 'utf8');
    const used = new Set(rules.match(/palisade_[a-z_]+/g) ?? []);
    for (const name of ['palisade_sip_parse_errors_total', 'palisade_transport_drops_total']) expect(used).toContain(name);
    // A renamed metric silently disables its alert: each one used must be defined.
    for (const name of used) expect(metrics, name).toContain(`'${name}'`);
    expect(rules).toMatch(/\bup\{job="palisade"\}/);
  });
});

describe('yamllint', () => {
  const available = haveTool('yamllint', 'yamllint');

  it.skipIf(!available)('config/ and deploy/ are clean', () => {
    const r = sh('yamllint', ['--strict', '-c', join(deploy, '.yamllint'), join(root, 'config'), deploy]);
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });
});
