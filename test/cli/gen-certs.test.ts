// gen-certs output checked with node:crypto, independently of node-forge that made it.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { run } from './run.js';

describe('palisade gen-certs', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'palisade-certs-')), 'certs');

  it('writes a CA and a server certificate with the SANs asked for', async () => {
    const r = await run(['gen-certs', '--host', 'sbc.example.net', '--host', 'localhost', '--ip', '192.0.2.7', '--ip', '2001:db8::7', '--out', out, '--days', '30']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key']) expect(r.stdout).toContain(`wrote ${join(out, f)}`);

    const ca = new X509Certificate(readFileSync(join(out, 'ca.crt')));
    const server = new X509Certificate(readFileSync(join(out, 'server.crt')));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.issuer).toBe(ca.subject);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(server.subject).toContain('CN=sbc.example.net');
    const sans = (server.subjectAltName ?? '').split(', ');
    expect(sans).toEqual(expect.arrayContaining(['DNS:sbc.example.net', 'DNS:localhost', 'IP Address:192.0.2.7']));
    expect(sans.some((s) => /^IP Address:2001:DB8:0:0:0:0:0:7$/i.test(s) || s === 'IP Address:2001:db8::7')).toBe(true);
    expect(server.checkHost('sbc.example.net')).toBe('sbc.example.net');
    expect(server.checkIP('192.0.2.7')).toBe('192.0.2.7');
    expect(server.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1'])); // serverAuth
    const days = (Date.parse(server.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
    expect(server.serialNumber).not.toBe(ca.serialNumber);

    // The key matches the certificate, and only its owner can read it.
    const key = createPrivateKey(readFileSync(join(out, 'server.key')));
    expect(createPublicKey(key).export({ type: 'spki', format: 'pem' })).toBe(server.publicKey.export({ type: 'spki', format: 'pem' }));
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    for (const f of ['ca.key', 'server.key']) expect(statSync(join(out, f)).mode & 0o777).toBe(0o600);
  });

  it('a real TLS handshake: the client trusts ca.crt and the name matches', async () => {
    const server = createServer({ key: readFileSync(join(out, 'server.key')), cert: readFileSync(join(out, 'server.crt')) }, (s) => s.end());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as AddressInfo;
    try {
      const authorized = await new Promise<boolean>((res, rej) => {
        const c = connect({ host: '127.0.0.1', port, servername: 'sbc.example.net', ca: readFileSync(join(out, 'ca.crt')) }, () => {
          res(c.authorized);
          c.end();
        });
        c.on('error', rej);
      });
      expect(authorized).toBe(true);
    } finally {
      server.close();
    }
  });

  it('refuses to overwrite without --force', async () => {
    const r = await run(['gen-certs', '--host', 'x.example', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--force');
    expect((await run(['gen-certs', '--host', 'x.example', '--out', out, '--force'])).code).toBe(0);
    expect(new X509Certificate(readFileSync(join(out, 'server.crt'))).subject).toContain('CN=x.example');
  });

  it('rejects a bad --ip or --days as usage errors', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'palisade-certs-')), 'c');
    expect((await run(['gen-certs', '--ip', '300.1.1.1', '--out', dir])).code).toBe(2);
    expect((await run(['gen-certs', '--host', 'a', '--days', 'ten', '--out', dir])).code).toBe(2);
    expect(existsSync(dir)).toBe(false);
  });
});
