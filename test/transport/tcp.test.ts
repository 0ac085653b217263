import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { dropCount, eventually, gauge, sipMessage, startHarness, testConfig, type Harness } from './helpers.js';

let h: Harness | undefined;
const clients: Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await h?.mgr.stop();
  h = undefined;
});

interface Client {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  closed: Promise<void>;
}

async function tcpClient(port: number, host = '127.0.0.1'): Promise<Client> {
  const socket = connect({ port, host });
  clients.push(socket);
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = once(socket, 'close').then(() => undefined);
  await once(socket, 'connect');
  return { socket, received: () => got, closed };
}

function tcpConfig(transport: Record<string, unknown> = {}, address = '127.0.0.1', sip?: Record<string, unknown>) {
  return testConfig({
    transport,
    ...(sip ? { sip } : {}),
    realms: { external: { listeners: [{ id: 't', transport: 'tcp', address, port: 0 }] } },
  });
}

describe('TCP listeners', () => {
  it.each([['127.0.0.1'], ['::1']])('frame messages and reply on the same connection (%s)', async (address) => {
    h = await startHarness(tcpConfig({}, address));
    const c = await tcpClient(h.listener('t').port, address);
    const a = sipMessage('first'), b = sipMessage('');
    // Coalesced and split: the first message and half the second, then the rest.
    c.socket.write(a + b.slice(0, 10));
    const m1 = await h.nextMessage();
    c.socket.write(b.slice(10));
    const m2 = await h.nextMessage();
    expect([m1.data.toString(), m2.data.toString()]).toEqual([a, b]);
    expect(m1.source).toMatchObject({ transport: 'tcp', listenerId: 't', remoteAddress: address, remotePort: c.socket.localPort, localAddress: address });
    expect(m1.source.connectionId).toBeTypeOf('number');
    expect(m2.source.connectionId).toBe(m1.source.connectionId);
    expect(h.mgr.connectionCount()).toBe(1);
    expect(await gauge(h.metrics, 'tcp')).toBe(1);

    const dest = { listenerId: 't', remoteAddress: address, remotePort: m1.source.remotePort, connectionId: m1.source.connectionId };
    expect(h.mgr.send(dest, Buffer.from('SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n'))).toBe(true);
    await eventually(() => c.received().includes('200 OK'));

    // Not on another listener's behalf.
    expect(h.mgr.send({ ...dest, listenerId: 'other' }, Buffer.from('x'))).toBe(false);
    // Without a connectionId, the open connection to the same address and port is reused.
    expect(h.mgr.send({ ...dest, connectionId: undefined }, Buffer.from('reused'))).toBe(true);
    await eventually(() => c.received().includes('reused'));
    expect(h.mgr.connectionCount()).toBe(1);
    c.socket.end();
    await c.closed;
    await eventually(() => h!.mgr.connectionCount() === 0);
    expect(await gauge(h.metrics, 'tcp')).toBe(0);
  });

  it('reports IPv4-mapped peers on a "::" listener as plain IPv4', async () => {
    h = await startHarness(tcpConfig({}, '::'));
    const c = await tcpClient(h.listener('t').port, '127.0.0.1');
    c.socket.write(sipMessage());
    expect((await h.nextMessage()).source.remoteAddress).toBe('127.0.0.1');
  });

  it('answers a double-CRLF ping with a single CRLF pong (RFC 5626 §3.5.1)', async () => {
    h = await startHarness(tcpConfig());
    const c = await tcpClient(h.listener('t').port);
    c.socket.write('\r\n');
    await new Promise((r) => setTimeout(r, 30));
    c.socket.write('\r\n'); // a ping split across segments
    await eventually(() => c.received() === '\r\n');
    c.socket.write(sipMessage());
    await h.nextMessage();
    expect(c.received()).toBe('\r\n');
  });

  it.each([
    ['missing Content-Length', 'OPTIONS sip:a SIP/2.0\r\nVia: x\r\n\r\n', 'bad_framing'],
    ['negative Content-Length', 'OPTIONS sip:a SIP/2.0\r\nContent-Length: -5\r\n\r\n', 'bad_framing'],
    ['Content-Length beyond the limit', 'OPTIONS sip:a SIP/2.0\r\nl: 999999\r\n\r\n', 'too_large'],
    ['endless header section', 'OPTIONS sip:a SIP/2.0\r\n' + 'X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(100), 'too_large'],
  ])('closes a stream with %s and counts it', async (_n, garbage, reason) => {
    h = await startHarness(tcpConfig({}, '127.0.0.1', { limits: { stream: { maxMessageBytes: 2048 } } }));
    const c = await tcpClient(h.listener('t').port);
    c.socket.write(sipMessage('ok')); // valid messages before the garbage still go up
    c.socket.write(garbage);
    await c.closed;
    expect(h.messages).toHaveLength(1);
    expect(await dropCount(h.metrics, 'tcp', reason)).toBe(1);
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
  });

  it('closes a connection holding more unframed bytes than maxBufferedBytes', async () => {
    h = await startHarness(tcpConfig({ maxBufferedBytes: 1000 }));
    const c = await tcpClient(h.listener('t').port);
    c.socket.write('OPTIONS sip:a SIP/2.0\r\n' + 'X: y\r\n'.repeat(300));
    await c.closed;
    expect(await dropCount(h.metrics, 'tcp', 'buffer_limit')).toBe(1);
  });

  it('closes a silent connection after idleTimeoutMs', async () => {
    h = await startHarness(tcpConfig({ idleTimeoutMs: 150 }));
    const c = await tcpClient(h.listener('t').port);
    const t0 = Date.now();
    await c.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(await dropCount(h.metrics, 'tcp', 'idle_timeout')).toBe(1);
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
  });

  it('refuses connections beyond maxConnectionsPerIp at accept', async () => {
    h = await startHarness(tcpConfig({ maxConnectionsPerIp: 2 }));
    const port = h.listener('t').port;
    const a = await tcpClient(port), b = await tcpClient(port);
    const c = await tcpClient(port);
    await c.closed;
    expect(await dropCount(h.metrics, 'tcp', 'per_ip_limit')).toBe(1);
    expect(h.mgr.connectionCount()).toBe(2);
    // A slot freed is a slot usable again.
    a.socket.destroy();
    await eventually(() => h!.mgr.connectionCount() === 1);
    const d = await tcpClient(port);
    d.socket.write(sipMessage());
    await h.nextMessage();
    expect(h.mgr.connectionCount()).toBe(2);
    b.socket.destroy();
    d.socket.destroy();
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
  });

  it('refuses connections beyond maxConnections across listeners and addresses', async () => {
    h = await startHarness(
      testConfig({
        transport: { maxConnections: 2 },
        realms: {
          external: { listeners: [{ id: 'a', transport: 'tcp', port: 0 }] },
          internal: { listeners: [{ id: 'b', transport: 'tcp', address: '::1', port: 0 }] },
        },
      }),
    );
    await tcpClient(h.listener('a').port);
    await tcpClient(h.listener('b').port, '::1');
    const c = await tcpClient(h.listener('a').port);
    await c.closed;
    expect(await dropCount(h.metrics, 'tcp', 'conn_limit')).toBe(1);
    expect(await gauge(h.metrics, 'tcp')).toBe(2);
    await h.mgr.stop();
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
  });

  it('keeps the connections gauge exact through many opens and closes', async () => {
    h = await startHarness(tcpConfig());
    const port = h.listener('t').port;
    const cs = await Promise.all(Array.from({ length: 20 }, () => tcpClient(port)));
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 20);
    cs.forEach((c, i) => (i % 2 ? c.socket.destroy() : c.socket.end()));
    await eventually(async () => (await gauge(h!.metrics, 'tcp')) === 0);
    expect(h.mgr.connectionCount()).toBe(0);
  });

  it('refuses sends once a slow reader\'s write queue is over the bound (backpressure)', async () => {
    h = await startHarness(tcpConfig({ maxBufferedBytes: 65536 }));
    const c = await tcpClient(h.listener('t').port);
    c.socket.pause(); // a peer that stops reading
    c.socket.write(sipMessage());
    const m = await h.nextMessage();
    const dest = { listenerId: 't', remoteAddress: '127.0.0.1', remotePort: m.source.remotePort, connectionId: m.source.connectionId };
    const chunk = Buffer.alloc(32768, 0x41);
    let refused = false;
    // Loopback kernel buffers absorb a few MB first; the bound applies to what Node queues after.
    for (let i = 0; i < 4096 && !refused; i++) {
      refused = !h.mgr.send(dest, chunk);
      if (i % 64 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(refused).toBe(true);
    expect(await dropCount(h.metrics, 'tcp', 'backpressure')).toBe(1);
  });

  it('survives an onMessage that throws', async () => {
    h = await startHarness(tcpConfig(), {
      onMessage: () => {
        throw new Error('bug above');
      },
    });
    const c = await tcpClient(h.listener('t').port);
    c.socket.write(sipMessage() + sipMessage());
    await new Promise((r) => setTimeout(r, 50));
    expect(c.socket.destroyed).toBe(false);
  });
});

describe('TransportManager lifecycle', () => {
  it('rejects start() with a clear error naming the listener whose bind failed, and binds nothing', async () => {
    const first = await startHarness(tcpConfig());
    try {
      const port = first.listener('t').port;
      const cfg = testConfig({
        realms: {
          external: { listeners: [{ transport: 'udp', port: 0 }] },
          internal: { listeners: [{ transport: 'tcp', address: '127.0.0.1', port }] },
        },
      });
      const second = startHarness(cfg);
      await expect(second).rejects.toThrow(new RegExp(`internal-tcp-127\\.0\\.0\\.1-${port}.*EADDRINUSE`));
    } finally {
      await first.mgr.stop();
    }
  });

  it('names listeners by default after realm, transport, address and port', async () => {
    h = await startHarness(
      testConfig({
        realms: {
          external: { listeners: [{ transport: 'udp', address: '::1', port: 0 }, { transport: 'udp', address: '::1', port: 0 }] },
          internal: { listeners: [{ transport: 'tcp', port: 0, advertise: 'sbc.internal' }] },
        },
      }),
    );
    const ls = h.mgr.listeners();
    expect(ls.map((l) => l.id).sort()).toEqual(['external-udp-__1-0', 'external-udp-__1-0-2', 'internal-tcp-127.0.0.1-0']);
    const tcp = ls.find((l) => l.transport === 'tcp');
    expect(tcp).toMatchObject({ realm: 'internal', address: '127.0.0.1', advertise: 'sbc.internal' });
    expect(tcp?.port).toBeGreaterThan(0);
  });
});
