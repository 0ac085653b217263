// Connections Palisade opens itself: a stream send() with no open connection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { Destination } from '../../src/transport/types.js';
import type { SendFailureReason } from '../../src/transport/index.js';
import { dropCount, eventually, gauge, makePki, sipMessage, startHarness, testConfig, type Harness, type Issued, type TestPki } from './helpers.js';

let pki: TestPki;
let own: Issued; // our certificate: serverAuth + clientAuth
let rogue: Issued;
let h: Harness | undefined;
const servers: NetServer[] = [];

interface Failure {
  readonly dest: Destination;
  readonly reason: SendFailureReason;
  readonly detail: string;
}
let failures: Failure[] = [];

beforeAll(() => {
  pki = makePki();
  own = pki.issueDual('own', '4001');
  rogue = pki.issueRogueServer('rogue-server', '5001');
});
afterAll(() => pki.cleanup());
afterEach(async () => {
  await h?.mgr.stop();
  h = undefined;
  failures = [];
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

interface Peer {
  readonly port: number;
  /** Accepted connections, in order (for TLS: once their handshake is done). */
  readonly sockets: (Socket | TLSSocket)[];
  /** Bytes received on connection i. */
  received(i?: number): string;
}

function track(server: NetServer, event: string): Promise<Peer> {
  servers.push(server);
  const sockets: (Socket | TLSSocket)[] = [];
  const got: string[] = [];
  server.on(event, (s: Socket) => {
    const i = sockets.push(s) - 1;
    got[i] = '';
    s.on('data', (d: Buffer) => (got[i] += d.toString('latin1')));
    s.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => {
    const a = server.address();
    if (a === null || typeof a !== 'object') throw new Error('no address');
    return { port: a.port, sockets, received: (i = 0) => got[i] ?? '' };
  });
}

const tcpPeer = (): Promise<Peer> => track(createNetServer(), 'connection');

function tlsPeer(cert: Issued, opts: { requireClientCert?: boolean } = {}): Promise<Peer> {
  const server = createTlsServer({
    cert: cert.certPem,
    key: cert.keyPem,
    ca: readFileSync(pki.caFile),
    requestCert: opts.requireClientCert ?? false,
    rejectUnauthorized: opts.requireClientCert ?? false,
  });
  return track(server, 'secureConnection');
}

function config(transport: 'tcp' | 'tls', extra: Record<string, unknown> = {}, tls: Record<string, unknown> = {}) {
  return testConfig({
    transport: {
      ...extra,
      tls: { certFile: own.certFile, keyFile: own.keyFile, caFile: pki.caFile, trustFile: pki.caFile, watch: false, ...tls },
    },
    realms: { internal: { listeners: [{ id: 'o', transport, address: '127.0.0.1', port: 0 }] } },
  });
}

function start(cfg: ReturnType<typeof config>): Promise<Harness> {
  return startHarness(cfg, { onSendFailure: (dest, reason, detail) => failures.push({ dest, reason, detail }) });
}

const to = (port: number, more: Partial<Destination> = {}): Destination => ({ listenerId: 'o', remoteAddress: '127.0.0.1', remotePort: port, ...more });

describe('outbound TCP connections', () => {
  it('open on send, carry replies up with their connection id, and are reused', async () => {
    const peer = await tcpPeer();
    h = await start(config('tcp'));
    const a = sipMessage('one');
    const b = sipMessage('two');
    // Both sent before the connect completes: queued, then flushed in order.
    expect(h.mgr.send(to(peer.port), Buffer.from(a))).toBe(true);
    expect(h.mgr.send(to(peer.port), Buffer.from(b))).toBe(true);
    await eventually(() => peer.received() === a + b, 3000, 'queued bytes at the peer');
    expect(await gauge(h.metrics, 'tcp')).toBe(1);
    expect(h.mgr.connectionCount()).toBe(1);

    const reply = sipMessage('reply');
    peer.sockets[0]?.write(reply);
    const m = await h.nextMessage();
    expect(m.data.toString()).toBe(reply);
    expect(m.source).toMatchObject({ transport: 'tcp', realm: 'internal', listenerId: 'o', remoteAddress: '127.0.0.1', remotePort: peer.port, localAddress: '127.0.0.1' });
    expect(m.source.connectionId).toBeTypeOf('number');

    // Reused with and without the id, and a differently written address finds it too.
    expect(h.mgr.send(to(peer.port, { connectionId: m.source.connectionId }), Buffer.from('x'))).toBe(true);
    expect(h.mgr.send(to(peer.port, { remoteAddress: '::ffff:127.0.0.1' }), Buffer.from('y'))).toBe(true);
    await eventually(() => peer.received().endsWith('xy'));
    expect(peer.sockets).toHaveLength(1);
    expect(failures).toEqual([]);
  });

  it('open a new connection when the named one has closed', async () => {
    const peer = await tcpPeer();
    h = await start(config('tcp'));
    expect(h.mgr.send(to(peer.port), Buffer.from(sipMessage('a')))).toBe(true);
    await eventually(() => peer.sockets.length === 1);
    peer.sockets[0]?.write(sipMessage('r'));
    const m = await h.nextMessage();
    peer.sockets[0]?.destroy();
    await eventually(() => h!.mgr.connectionCount() === 0);
    expect(h.mgr.send(to(peer.port, { connectionId: m.source.connectionId }), Buffer.from('again'))).toBe(true);
    await eventually(() => peer.received(1) === 'again');
    expect(await gauge(h.metrics, 'tcp')).toBe(1);
  });

  it('report a refused connect as connect_failed', async () => {
    const peer = await tcpPeer();
    const port = peer.port;
    await new Promise((r) => servers.pop()?.close(r)); // now nothing listens there
    h = await start(config('tcp'));
    const dest = to(port);
    expect(h.mgr.send(dest, Buffer.from(sipMessage()))).toBe(true);
    await eventually(() => failures.length === 1);
    expect(failures[0]).toMatchObject({ dest, reason: 'connect_failed' });
    expect(failures[0]?.detail).toMatch(/ECONNREFUSED/);
    expect(await dropCount(h.metrics, 'tcp', 'connect_failed')).toBe(1);
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
    expect(h.mgr.connectionCount()).toBe(0);
  });

  it('obey maxConnections, counting inbound and outbound together', async () => {
    const p1 = await tcpPeer();
    const p2 = await tcpPeer();
    h = await start(config('tcp', { maxConnections: 1 }));
    expect(h.mgr.send(to(p1.port), Buffer.from('a'))).toBe(true);
    expect(h.mgr.send(to(p2.port), Buffer.from('b'))).toBe(false);
    expect(await dropCount(h.metrics, 'tcp', 'conn_limit')).toBe(1);
    await eventually(() => p1.received() === 'a');
    expect(p2.sockets).toHaveLength(0);
    expect(failures).toEqual([]); // a refused send is told by its return value
  });

  it('refuse an address the listener cannot reach', async () => {
    h = await start(config('tcp'));
    expect(h.mgr.send(to(5060, { remoteAddress: '::1' }), Buffer.from('x'))).toBe(false);
    expect(h.mgr.send(to(5060, { remoteAddress: 'softswitch.example' }), Buffer.from('x'))).toBe(false);
    expect(await dropCount(h.metrics, 'tcp', 'send_error')).toBe(2);
  });

  it('close idle outbound connections like inbound ones', async () => {
    const peer = await tcpPeer();
    h = await start(config('tcp', { idleTimeoutMs: 150 }));
    expect(h.mgr.send(to(peer.port), Buffer.from('a'))).toBe(true);
    await eventually(() => peer.sockets.length === 1);
    await once(peer.sockets[0] as Socket, 'close');
    expect(await dropCount(h.metrics, 'tcp', 'idle_timeout')).toBe(1);
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
  });

  it('are closed by stop(), which leaves the gauge at 0', async () => {
    const peer = await tcpPeer();
    h = await start(config('tcp'));
    expect(h.mgr.send(to(peer.port), Buffer.from('a'))).toBe(true);
    await eventually(() => peer.sockets.length === 1);
    expect(await gauge(h.metrics, 'tcp')).toBe(1);
    const peerClosed = once(peer.sockets[0] as Socket, 'close');
    await h.mgr.stop();
    expect(await gauge(h.metrics, 'tcp')).toBe(0);
    expect(h.mgr.connectionCount()).toBe(0);
    await peerClosed;
    expect(h.mgr.send(to(peer.port), Buffer.from('b'))).toBe(false);
  });
});

describe('outbound TLS connections', () => {
  it('verify the server against trustFile, send SNI and present our certificate', async () => {
    const peer = await tlsPeer(pki.server, { requireClientCert: true });
    h = await start(config('tls'));
    const msg = sipMessage('over tls');
    expect(h.mgr.send(to(peer.port, { serverName: 'localhost' }), Buffer.from(msg))).toBe(true);
    await eventually(() => peer.received() === msg, 3000, 'bytes at the TLS peer');
    const s = peer.sockets[0] as TLSSocket;
    expect(s.servername).toBe('localhost');
    expect(s.authorized).toBe(true);
    expect(s.getPeerCertificate().serialNumber).toBe(own.serial);

    s.write(sipMessage('back'));
    const m = await h.nextMessage();
    expect(m.source).toMatchObject({ transport: 'tls', listenerId: 'o', remotePort: peer.port, peerAuthorized: true });
    expect(m.source.peerCertificate?.serialNumber).toBe(pki.server.serial);
    expect(await gauge(h.metrics, 'tls')).toBe(1);
    expect(failures).toEqual([]);
  });

  it('verify by IP address when no server name is given', async () => {
    const peer = await tlsPeer(pki.server);
    h = await start(config('tls'));
    expect(h.mgr.send(to(peer.port), Buffer.from('x'))).toBe(true);
    await eventually(() => peer.received() === 'x');
    expect((peer.sockets[0] as TLSSocket).servername).toBeFalsy(); // no SNI for an IP
  });

  it.each([
    ['an untrusted certificate', () => rogue, undefined],
    ['a certificate for another name', () => pki.server, 'sip.carrier.example'],
  ])('refuse %s: closed, tls_error, onSendFailure', async (_what, cert, serverName) => {
    const peer = await tlsPeer(cert());
    h = await start(config('tls'));
    const dest = to(peer.port, serverName !== undefined ? { serverName } : {});
    expect(h.mgr.send(dest, Buffer.from('secret'))).toBe(true);
    await eventually(() => failures.length === 1);
    expect(failures[0]).toMatchObject({ dest, reason: 'connect_failed' });
    expect(await dropCount(h.metrics, 'tls', 'tls_error')).toBe(1);
    await eventually(async () => (await gauge(h!.metrics, 'tls')) === 0);
    expect(peer.received()).toBe('');
  });

  it('accept any server with verifyServer off', async () => {
    const peer = await tlsPeer(rogue);
    h = await start(config('tls', {}, { verifyServer: false }));
    expect(h.mgr.send(to(peer.port), Buffer.from('x'))).toBe(true);
    await eventually(() => peer.received() === 'x');
    (peer.sockets[0] as TLSSocket).write(sipMessage());
    expect((await h.nextMessage()).source.peerAuthorized).toBe(false);
  });

  it('time out a handshake that never completes, bounding the queue meanwhile', async () => {
    const hole = await track(createNetServer(), 'connection'); // TCP accepts, TLS never answers
    h = await start(config('tls', { connectTimeoutMs: 300, maxBufferedBytes: 1000 }));
    const dest = to(hole.port);
    expect(h.mgr.send(dest, Buffer.alloc(800))).toBe(true);
    expect(h.mgr.send(dest, Buffer.alloc(300))).toBe(false); // beyond maxBufferedBytes while connecting
    expect(await dropCount(h.metrics, 'tls', 'backpressure')).toBe(1);
    expect(await gauge(h.metrics, 'tls')).toBe(1);
    await eventually(() => failures.length === 1, 3000, 'the timeout');
    expect(failures[0]).toMatchObject({ dest, reason: 'connect_timeout' });
    expect(await dropCount(h.metrics, 'tls', 'connect_timeout')).toBe(1);
    await eventually(async () => (await gauge(h!.metrics, 'tls')) === 0);
  });

  it("tell senders 'closed' when stop() ends a connect in progress", async () => {
    const hole = await track(createNetServer(), 'connection');
    h = await start(config('tls'));
    expect(h.mgr.send(to(hole.port), Buffer.from('x'))).toBe(true);
    await eventually(() => hole.sockets.length === 1);
    await h.mgr.stop();
    expect(failures.map((f) => f.reason)).toEqual(['closed']);
    expect(await gauge(h.metrics, 'tls')).toBe(0);
  });

  it('reread trustFile on reloadTls()', async () => {
    const trustFile = `${pki.dir}/trust-reload.pem`;
    copyFileSync(pki.caFile, trustFile);
    const p1 = await tlsPeer(pki.server);
    const p2 = await tlsPeer(pki.server);
    h = await start(config('tls', {}, { trustFile }));
    expect(h.mgr.send(to(p1.port), Buffer.from('x'))).toBe(true);
    await eventually(() => p1.received() === 'x');
    writeFileSync(trustFile, rogue.certPem); // valid PEM, but not the CA that signed the peers
    expect(await h.mgr.reloadTls()).toEqual({ ok: true });
    expect(h.mgr.send(to(p2.port), Buffer.from('y'))).toBe(true);
    await eventually(() => failures.length === 1);
    expect(failures[0]?.dest.remotePort).toBe(p2.port);
    writeFileSync(trustFile, 'not a certificate');
    const r = await h.mgr.reloadTls();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/trust-reload\.pem/);
  });

  it('refuse to start with an unreadable trustFile', async () => {
    await expect(start(config('tls', {}, { trustFile: `${pki.dir}/missing.pem` }))).rejects.toThrow(/trust file .*missing\.pem/);
  });
});
