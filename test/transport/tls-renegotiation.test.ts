// testssl.sh flagged client-initiated TLS 1.2 renegotiation as a DoS lever: the
// listener refuses it, and the connection it was tried on is not kept.
import { connect } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makePki, startHarness, testConfig, type Harness, type TestPki } from './helpers.js';

let pki: TestPki;
let h: Harness;

beforeAll(async () => {
  pki = makePki();
  h = await startHarness(
    testConfig({
      transport: { tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.caFile, watch: false, generateIfMissing: false } },
      realms: { external: { listeners: [{ id: 'tls', transport: 'tls', address: '127.0.0.1', port: 0 }] } },
    }),
  );
});

afterAll(async () => {
  await h?.mgr.stop();
  pki?.cleanup();
});

it('a TLS 1.2 client asking to renegotiate is refused', async () => {
  const { port } = h.listener('tls');
  const sock = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', () => resolve());
    sock.once('error', reject);
  });
  const outcome = await new Promise<string>((resolve) => {
    sock.on('error', () => resolve('error'));
    sock.on('close', () => resolve('closed'));
    const started = sock.renegotiate({ rejectUnauthorized: false }, (err) => resolve(err ? 'error' : 'renegotiated'));
    if (!started) resolve('not started');
    setTimeout(() => resolve('timeout'), 3000);
  });
  expect(outcome).not.toBe('renegotiated');
  expect(outcome).not.toBe('timeout');
  sock.destroy();
});
