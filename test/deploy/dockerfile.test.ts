// deploy/Dockerfile checked without a Docker engine: the instructions are parsed
// and the properties that matter for a network-facing service are asserted.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, packageRoot } from '../../src/config/index.js';
import { parseDockerfile, stages } from './dockerfile.js';

const root = packageRoot();
const instructions = parseDockerfile(readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8'));
const all = stages(instructions);
const final = all.at(-1);
const finalOf = (kw: string) => final?.instructions.filter((i) => i.keyword === kw) ?? [];

describe('the parser', () => {
  it('joins continuations, reads flags and the exec form', () => {
    const ins = parseDockerfile('# escape=\\\nFROM a AS b\nRUN x \\\n  # comment\n  && y\nCOPY --from=b --chown=1:1 /s /d\nCMD ["a", "b"]\n');
    expect(ins.map((i) => i.keyword)).toEqual(['FROM', 'RUN', 'COPY', 'CMD']);
    expect(ins[1]).toMatchObject({ args: 'x && y', line: 3 });
    expect(ins[2]?.flags).toEqual({ from: 'b', chown: '1:1' });
    expect(ins[3]?.json).toEqual(['a', 'b']);
  });
});

describe('deploy/Dockerfile', () => {
  it('is multi-stage: a build stage and a runtime stage', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all[0]?.name).toBe('build');
    expect(final?.name).toBe('runtime');
  });

  it('builds with npm ci and npm run build, and installs only production deps at runtime', () => {
    const buildRuns = all[0]?.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args) ?? [];
    expect(buildRuns.some((r) => /\bnpm ci\b/.test(r))).toBe(true);
    expect(buildRuns.some((r) => /\bnpm run build\b/.test(r))).toBe(true);
    expect(finalOf('RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args))).toBe(true);
    expect(finalOf('RUN').some((r) => /npm (install|i)\b/.test(r.args))).toBe(false);
    expect(finalOf('COPY').some((c) => c.flags.from === 'build' && /\/app\/dist/.test(c.args))).toBe(true);
    expect(finalOf('COPY').some((c) => /^config\s/.test(c.args))).toBe(true);
  });

  it('runs as a non-root user in the final stage', () => {
    const users = finalOf('USER');
    expect(users.length).toBeGreaterThan(0);
    const last = users.at(-1)?.args ?? '';
    const [user, group] = last.split(':');
    expect(['root', '0', '']).not.toContain(user);
    expect(group === undefined || !['root', '0'].includes(group)).toBe(true);
    // Nothing after USER switches back or runs as root.
    const after = final?.instructions.slice(final.instructions.indexOf(users.at(-1) as never) + 1) ?? [];
    expect(after.filter((i) => i.keyword === 'USER' || i.keyword === 'RUN')).toEqual([]);
  });

  it('has a HEALTHCHECK on /health that needs no curl', () => {
    const hc = finalOf('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const cmd = hc[0]?.args ?? '';
    expect(cmd).toMatch(/^CMD /);
    expect(cmd).toContain('http://127.0.0.1:9090/health');
    expect(cmd).not.toMatch(/\bcurl\b|\bwget\b/);
    expect(hc[0]?.flags.interval).toBeDefined();
  });

  it('never ADDs a URL, and copies nothing secret', () => {
    for (const ins of instructions) {
      if (ins.keyword === 'ADD') expect(ins.args).not.toMatch(/https?:\/\/|git@/);
      if (ins.keyword === 'COPY' || ins.keyword === 'ADD') expect(ins.args).not.toMatch(/\.key\b|certs\/|\.env\b/);
    }
  });

  it('exposes SIP and HTTP ports and starts with the baked config', () => {
    expect(finalOf('EXPOSE').flatMap((e) => e.args.split(/\s+/)).sort()).toEqual(['5060/tcp', '5060/udp', '5061/tcp', '9090/tcp']);
    expect(finalOf('ENTRYPOINT')[0]?.json).toEqual(['node', 'dist/src/cli.js']);
    expect(finalOf('CMD')[0]?.json).toEqual(['start', '--config', '/etc/palisade/palisade.yaml']);
  });

  it('bakes a config that validates and listens on exactly the exposed ports', () => {
    const copy = finalOf('COPY').find((c) => c.args.endsWith('/etc/palisade/palisade.yaml'));
    const src = copy?.args.split(/\s+/)[0] ?? '';
    const r = loadConfig({ file: join(root, src), env: {} });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const ports = [...r.config.realms.external.listeners, ...r.config.realms.internal.listeners].map(
      (l) => `${l.port ?? (l.transport === 'tls' ? 5061 : 5060)}/${l.transport === 'udp' ? 'udp' : 'tcp'}`,
    );
    ports.push(`${r.config.http.port}/tcp`);
    expect([...new Set(ports)].sort()).toEqual(finalOf('EXPOSE').flatMap((e) => e.args.split(/\s+/)).sort());
    // The healthcheck reaches the HTTP server: it listens on loopback or on every address.
    expect(['127.0.0.1', '0.0.0.0', '::']).toContain(r.config.http.address);
    // The non-root user cannot write under /app: generated certificates go to the volume.
    expect(r.config.transport.tls.certFile.startsWith('/var/lib/palisade/')).toBe(true);
  });
});
