import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { startHarness, testConfig, sipMessage, type Harness } from './helpers.js';

let h: Harness | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await h?.mgr.stop();
  h = undefined;
});

async function client(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  const s = createSocket(type);
  sockets.push(s);
  s.bind(0, address);
  await once(s, 'listening');
  return s;
}

describe('UDP listeners', () => {
  it.each([
    ['IPv4', 'udp4', '127.0.0.1'],
    ['IPv6', 'udp6', '::1'],
  ] as const)('receive a datagram as one message and reply from the same socket (%s)', async (_n, type, address) => {
    h = await startHarness(testConfig({ realms: { external: { listeners: [{ id: 'u', transport: 'udp', address, port: 0 }] } } }));
    const l = h.listener('u');
    const c = await client(type, address);
    const text = sipMessage('hello');
    c.send(text, l.port, address);
    const m = await h.nextMessage();
    expect(m.data.toString()).toBe(text);
    expect(m.source).toMatchObject({
      transport: 'udp',
      realm: 'external',
      listenerId: 'u',
      localAddress: address,
      localPort: l.port,
      remoteAddress: address,
      remotePort: c.address().port,
    });
    expect(m.source.connectionId).toBeUndefined();

    const reply = once(c, 'message');
    expect(h.mgr.send({ listenerId: 'u', remoteAddress: m.source.remoteAddress, remotePort: m.source.remotePort }, Buffer.from('SIP/2.0 200 OK\r\n\r\n'))).toBe(true);
    const [data, rinfo] = (await reply) as [Buffer, { port: number }];
    expect(data.toString()).toBe('SIP/2.0 200 OK\r\n\r\n');
    expect(rinfo.port).toBe(l.port); // symmetric: the reply leaves from the listener's socket
  });

  it('ignores CRLF keep-alive datagrams', async () => {
    h = await startHarness(testConfig({ realms: { internal: { listeners: [{ id: 'u', transport: 'udp', port: 0 }] } } }));
    const c = await client('udp4', '127.0.0.1');
    c.send('\r\n\r\n', h.listener('u').port, '127.0.0.1');
    c.send('\r\n', h.listener('u').port, '127.0.0.1');
    c.send('OPTIONS x', h.listener('u').port, '127.0.0.1');
    const m = await h.nextMessage();
    expect(m.data.toString()).toBe('OPTIONS x'); // no length checks at this layer: the parser's job
    expect(m.source.realm).toBe('internal');
    expect(h.messages).toHaveLength(1);
  });

  it('reports IPv4-mapped senders on a dual-stack "::" socket as plain IPv4, and answers them', async () => {
    h = await startHarness(testConfig({ realms: { external: { listeners: [{ id: 'u', transport: 'udp', address: '::', port: 0 }] } } }));
    const c = await client('udp4', '127.0.0.1');
    c.send('X', h.listener('u').port, '127.0.0.1');
    const m = await h.nextMessage();
    expect(m.source.remoteAddress).toBe('127.0.0.1');
    const reply = once(c, 'message');
    expect(h.mgr.send({ listenerId: 'u', remoteAddress: '127.0.0.1', remotePort: m.source.remotePort }, Buffer.from('Y'))).toBe(true);
    expect(String(((await reply) as [Buffer])[0])).toBe('Y');
  });

  it('refuses to send on an unknown listener', async () => {
    h = await startHarness(testConfig({ realms: { external: { listeners: [{ id: 'u', transport: 'udp', port: 0 }] } } }));
    expect(h.mgr.send({ listenerId: 'nope', remoteAddress: '127.0.0.1', remotePort: 9 }, Buffer.from('x'))).toBe(false);
  });
});
