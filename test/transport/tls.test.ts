import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dropCount, eventually, gauge, makePki, reloads, sipMessage, startHarness, testConfig, type Harness, type TestPki } from './helpers.js';

let pki: TestPki;
let h: Harness | undefined;
const sockets: (Socket | TLSSocket)[] = [];

beforeAll(() => {
  pki = makePki();
});
afterAll(() => pki.cleanup());
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.mgr.stop();
  h = undefined;
});

type ClientCert = 'none' | 'request' | 'require';

function tlsConfig(opts: { clientCert?: ClientCert; transport?: Record<string, unknown>; address?: string } = {}) {
  return testConfig({
    transport: { ...opts.transport, tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.caFile, watch: false, ...(opts.transport?.tls as object) } },
    realms: {
      external: {
        listeners: [{ id: 's', transport: 'tls', address: opts.address ?? '127.0.0.1', port: 0, ...(opts.clientCert ? { tls: { clientCert: opts.clientCert } } : {}) }],
      },
    },
  });
}

interface TlsClient {
  readonly socket: TLSSocket;
  received(): string;
  readonly closed: Promise<void>;
  /** Resolves true on secureConnect, false if the socket failed first. */
  readonly secured: Promise<boolean>;
}

function tlsClient(port: number, opts: ConnectionOptions = {}, host = '127.0.0.1'): TlsClient {
  const socket = tlsConnect({ host, port, ca: readFileSync(pki.caFile), servername: 'localhost', ...opts });
  sockets.push(socket);
  let got = '';
  socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
  socket.on('error', () => undefined);
  // Not events.once(): it rejects on 'error', and refused handshakes are what some tests want.
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const secured = new Promise<boolean>((resolve) => {
    socket.once('secureConnect', () => resolve(true));
    void closed.then(() => resolve(false));
  });
  return { socket, received: () => got, closed, secured };
}

const clientCreds = (c: { certPem: string; keyPem: string }) => ({ cert: c.certPem, key: c.keyPem });

describe('TLS listeners', () => {
  it.each([['127.0.0.1'], ['::1']])('receive and reply on the same connection (%s)', async (address) => {
    h = await startHarness(tlsConfig({ address }));
    const c = tlsClient(h.listener('s').port, {}, address);
    expect(await c.secured).toBe(true);
    expect(c.socket.getPeerCertificate().serialNumber).toBe(pki.server.serial);
    const text = sipMessage('tls body');
    c.socket.write(text.slice(0, 15));
    c.socket.write(text.slice(15) + '\r\n\r\n');
    const m = await h.nextMessage();
    expect(m.data.toString()).toBe(text);
    expect(m.source).toMatchObject({ transport: 'tls', listenerId: 's', remoteAddress: address, peerAuthorized: false });
    expect(m.source.peerCertificate).toBeUndefined();
    expect(h.mgr.send({ listenerId: 's', remoteAddress: address, remotePort: m.source.remotePort, connectionId: m.source.connectionId }, Buffer.from('SIP/2.0 200 OK\r\n\r\n'))).toBe(true);
    await eventually(() => c.received() === '\r\nSIP/2.0 200 OK\r\n\r\n'); // the pong, then the reply
    expect(await gauge(h.metrics, 'tls')).toBe(1);
    c.socket.end();
    await c.closed;
    await eventually(async () => (await gauge(h!.metrics, 'tls')) === 0);
    expect(await dropCount(h.metrics, 'tls', 'tls_error')).toBe(0);
  });

  it('refuses TLS 1.1 and accepts TLS 1.2 (minVersion)', async () => {
    h = await startHarness(tlsConfig());
    const port = h.listener('s').port;
    const old = tlsClient(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
    expect(await old.secured).toBe(false);
    await eventually(async () => (await dropCount(h!.metrics, 'tls', 'tls_error')) === 1);

    const v12 = tlsClient(port, { maxVersion: 'TLSv1.2' });
    expect(await v12.secured).toBe(true);
    expect(v12.socket.getProtocol()).toBe('TLSv1.2');
    v12.socket.write(sipMessage());
    await h.nextMessage();
  });

  it('closes a connection that does not finish its handshake in handshakeTimeoutMs', async () => {
    h = await startHarness(tlsConfig({ transport: { tls: { handshakeTimeoutMs: 150 } } }));
    const raw = tcpConnect({ port: h.listener('s').port, host: '127.0.0.1' });
    sockets.push(raw);
    raw.on('error', () => undefined);
    await once(raw, 'connect');
    expect(h.mgr.connectionCount()).toBe(1); // counted from accept, handshake or not
    await once(raw, 'close');
    expect(await dropCount(h.metrics, 'tls', 'handshake_timeout')).toBe(1);
    await eventually(() => h!.mgr.connectionCount() === 0);
    expect(await gauge(h.metrics, 'tls')).toBe(0);
  });

  it('closes a TLS connection that goes silent after its handshake (idleTimeoutMs)', async () => {
    h = await startHarness(tlsConfig({ transport: { idleTimeoutMs: 200, tls: { handshakeTimeoutMs: 100 } } }));
    const c = tlsClient(h.listener('s').port);
    expect(await c.secured).toBe(true);
    const t0 = Date.now();
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150); // the idle timer, not the handshake timer
    expect(await dropCount(h.metrics, 'tls', 'idle_timeout')).toBe(1);
    expect(await dropCount(h.metrics, 'tls', 'handshake_timeout')).toBe(0);
  });

  it('applies the per-IP limit to TLS connections before any handshake', async () => {
    h = await startHarness(tlsConfig({ transport: { maxConnectionsPerIp: 1 } }));
    const a = tlsClient(h.listener('s').port);
    expect(await a.secured).toBe(true);
    const b = tlsClient(h.listener('s').port);
    expect(await b.secured).toBe(false);
    expect(await dropCount(h.metrics, 'tls', 'per_ip_limit')).toBe(1);
  });

  describe('client certificates', () => {
    it('require: refuses a client without a certificate, or with one from another CA', async () => {
      h = await startHarness(tlsConfig({ clientCert: 'require' }));
      const port = h.listener('s').port;
      for (const opts of [{}, clientCreds(pki.rogueClient)]) {
        const c = tlsClient(port, opts);
        // With TLS 1.3 the client may finish its side before the server refuses it.
        if (await c.secured) c.socket.write(sipMessage());
        await c.closed;
      }
      await eventually(async () => (await dropCount(h!.metrics, 'tls', 'tls_error')) >= 2);
      await new Promise((r) => setTimeout(r, 50)); // a late duplicate count would show here
      expect(await dropCount(h.metrics, 'tls', 'tls_error')).toBe(2);
      expect(h.messages).toHaveLength(0);
      await eventually(async () => (await gauge(h!.metrics, 'tls')) === 0);
    });

    it('require: admits a client whose certificate verifies against caFile', async () => {
      h = await startHarness(tlsConfig({ clientCert: 'require' }));
      const c = tlsClient(h.listener('s').port, clientCreds(pki.client));
      expect(await c.secured).toBe(true);
      c.socket.write(sipMessage());
      const m = await h.nextMessage();
      expect(m.source.peerAuthorized).toBe(true);
      expect(m.source.peerCertificate?.serialNumber).toBe(pki.client.serial);
      expect(m.source.peerCertificate?.subject.CN).toBe('client.test');
    });

    it('request: admits every client and tells which ones verified', async () => {
      h = await startHarness(tlsConfig({ clientCert: 'request' }));
      const port = h.listener('s').port;
      const seen: unknown[] = [];
      for (const opts of [{}, clientCreds(pki.rogueClient), clientCreds(pki.client)]) {
        const c = tlsClient(port, opts);
        expect(await c.secured).toBe(true);
        c.socket.write(sipMessage());
        const m = await h.nextMessage();
        seen.push([m.source.peerAuthorized, m.source.peerCertificate?.serialNumber]);
      }
      expect(seen).toEqual([
        [false, undefined],
        [false, pki.rogueClient.serial],
        [true, pki.client.serial],
      ]);
    });
  });

  describe('certificate reload', () => {
    function swapServerCert(serial: string): void {
      const next = pki.issueServer(`server-${serial}`, serial);
      copyFileSync(next.certFile, pki.server.certFile);
      copyFileSync(next.keyFile, pki.server.keyFile);
    }
    afterEach(() => {
      // Later tests expect the original server certificate.
      writeFileSync(pki.server.certFile, pki.server.certPem);
      writeFileSync(pki.server.keyFile, pki.server.keyPem);
    });

    it('reloadTls(): new handshakes get the new certificate, open connections keep working', async () => {
      h = await startHarness(tlsConfig());
      const port = h.listener('s').port;
      const old = tlsClient(port);
      expect(await old.secured).toBe(true);
      old.socket.write(sipMessage('before'));
      const m0 = await h.nextMessage();

      swapServerCert('5A5A');
      expect(await h.mgr.reloadTls()).toEqual({ ok: true });
      expect(await reloads(h.metrics, 'ok')).toBe(1);

      const fresh = tlsClient(port);
      expect(await fresh.secured).toBe(true);
      expect(fresh.socket.getPeerCertificate().serialNumber).toBe('5A5A');

      old.socket.write(sipMessage('after'));
      const m1 = await h.nextMessage();
      expect(m1.data.toString()).toContain('after');
      expect(m1.source.connectionId).toBe(m0.source.connectionId);
      expect(h.mgr.send({ listenerId: 's', remoteAddress: '127.0.0.1', remotePort: m0.source.remotePort, connectionId: m0.source.connectionId }, Buffer.from('OK'))).toBe(true);
      await eventually(() => old.received() === 'OK');
      expect(old.socket.getPeerCertificate().serialNumber).toBe(pki.server.serial);
    });

    it('a reload with bad files keeps the old certificate and reports the error', async () => {
      h = await startHarness(tlsConfig());
      writeFileSync(pki.server.certFile, 'not a certificate');
      const r = await h.mgr.reloadTls();
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/listener s/);
      expect(await reloads(h.metrics, 'error')).toBe(1);
      // A key that does not match the certificate is refused too.
      writeFileSync(pki.server.certFile, pki.server.certPem);
      writeFileSync(pki.server.keyFile, pki.client.keyPem);
      expect((await h.mgr.reloadTls()).ok).toBe(false);
      expect(await reloads(h.metrics, 'error')).toBe(2);

      const c = tlsClient(h.listener('s').port);
      expect(await c.secured).toBe(true);
      expect(c.socket.getPeerCertificate().serialNumber).toBe(pki.server.serial);
    });

    it('watch: reloads by itself when the files change', async () => {
      h = await startHarness(tlsConfig({ transport: { tls: { watch: true } } }));
      swapServerCert('7B7B');
      await eventually(async () => (await reloads(h!.metrics, 'ok')) >= 1, 5000, 'a watch-triggered reload');
      const c = tlsClient(h.listener('s').port);
      expect(await c.secured).toBe(true);
      expect(c.socket.getPeerCertificate().serialNumber).toBe('7B7B');
    });
  });

  it('fails start() clearly when the certificate files are missing', async () => {
    const cfg = testConfig({
      transport: { tls: { certFile: 'nope/server.crt', keyFile: 'nope/server.key' } },
      realms: { external: { listeners: [{ id: 's', transport: 'tls', port: 0 }] } },
    });
    await expect(startHarness(cfg, { baseDir: pki.dir })).rejects.toThrow(/listener s .*cannot read TLS certificate file .*nope\/server\.crt/);
  });
});
