// ensureCertificates: first start generates, later starts leave files alone.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { ensureCertificates, subjectNamesFor } from '../../src/transport/certs.js';

function config(yaml: string) {
  const r = loadConfigText(yaml, { env: {} });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function recorder() {
  const lines: { obj: object; msg: string }[] = [];
  const log = (obj: object, msg: string): void => void lines.push({ obj, msg });
  return { lines, logger: { info: log, warn: log } };
}

const yaml = `
node: { name: edge-1 }
realms:
  external:
    hostnames: [sip.example.net, 198.51.100.1]
    listeners:
      - { transport: tls, address: 192.0.2.10, port: 5061, advertise: sbc.example.net }
      - { transport: tls, address: "::", port: 5062 }
      - { transport: udp, address: 192.0.2.11, advertise: 192.0.2.12 }
`;

describe('ensureCertificates', () => {
  it('collects names and addresses from the config', () => {
    const { hosts, ips } = subjectNamesFor(config(yaml));
    expect(hosts.sort()).toEqual(['edge-1', 'localhost', 'sbc.example.net', 'sip.example.net']);
    expect(ips.sort()).toEqual(['127.0.0.1', '192.0.2.10', '192.0.2.12', '198.51.100.1', '::1']);
  });

  it('generates missing files, logs where, never the key, then leaves them alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-ensure-'));
    const cfg = config(yaml);
    const { lines, logger } = recorder();
    const first = await ensureCertificates(cfg, logger, dir);
    expect(first.status).toBe('generated');
    for (const f of ['certs/server.crt', 'certs/server.key', 'certs/ca.crt', 'certs/ca.key']) expect(existsSync(join(dir, f))).toBe(true);
    const cert = new X509Certificate(readFileSync(join(dir, 'certs/server.crt')));
    expect(cert.checkIP('192.0.2.10')).toBe('192.0.2.10');
    expect(cert.checkHost('sbc.example.net')).toBe('sbc.example.net');
    expect(cert.verify(new X509Certificate(readFileSync(join(dir, 'certs/ca.crt'))).publicKey)).toBe(true);
    const logged = JSON.stringify(lines);
    expect(logged).toContain(join(dir, 'certs/server.crt'));
    expect(logged).not.toContain('PRIVATE KEY');

    const before = readFileSync(join(dir, 'certs/server.key'), 'utf8');
    expect((await ensureCertificates(cfg, logger, dir)).status).toBe('present');
    expect(readFileSync(join(dir, 'certs/server.key'), 'utf8')).toBe(before);
  });

  it('does nothing when generation is off, and never replaces a lone key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-ensure-'));
    const { logger } = recorder();
    expect((await ensureCertificates(config('transport: { tls: { generateIfMissing: false } }'), logger, dir)).status).toBe('disabled');
    writeFileSync(join(dir, 'only.key'), 'precious');
    const r = await ensureCertificates(config('transport: { tls: { certFile: missing.crt, keyFile: only.key } }'), logger, dir);
    expect(r.status).toBe('partial');
    expect(readFileSync(join(dir, 'only.key'), 'utf8')).toBe('precious');
  });

  it('keeps an existing CA bundle and puts the generated CA beside the certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-ensure-'));
    writeFileSync(join(dir, 'bundle.pem'), 'operator bundle');
    const { logger } = recorder();
    const r = await ensureCertificates(config('transport: { tls: { certFile: tls/s.crt, keyFile: tls/s.key, caFile: bundle.pem } }'), logger, dir);
    expect(r.status === 'generated' && r.files.caCert).toBe(join(dir, 'tls', 'palisade-ca.crt'));
    expect(readFileSync(join(dir, 'bundle.pem'), 'utf8')).toBe('operator bundle');
  });
});
