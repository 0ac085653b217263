// Minimal raw SIP peers for tests: send bytes over UDP, TCP or TLS and collect what
// comes back, each wait bounded in time.
import { createSocket } from 'node:dgram';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket, type ConnectionOptions } from 'node:tls';

export async function udpExchange(host: string, port: number, data: Buffer | string, waitMs = 1000): Promise<Buffer[]> {
  const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  await new Promise<void>((resolve, reject) => sock.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, port, host, (e) => (e ? reject(e) : resolve())));
  const deadline = Date.now() + waitMs;
  while (got.length === 0 && Date.now() < deadline) await sleep(10);
  await sleep(50); // catch a second (unexpected) datagram too
  sock.close();
  return got;
}

export interface StreamPeer {
  socket: Socket | TLSSocket;
  received(): string;
  write(data: string | Buffer): void;
  waitFor(pred: (all: string) => boolean, ms?: number): Promise<string>;
  closed(): Promise<void>;
  close(): void;
}

function wrap(socket: Socket | TLSSocket): StreamPeer {
  let buf = '';
  let isClosed = false;
  socket.on('data', (d: Buffer) => { buf += d.toString('latin1'); });
  socket.on('error', () => {});
  const closedP = new Promise<void>((r) => socket.on('close', () => { isClosed = true; r(); }));
  return {
    socket,
    received: () => buf,
    write: (d) => { socket.write(d); },
    async waitFor(pred, ms = 2000) {
      const deadline = Date.now() + ms;
      while (!pred(buf)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting; received so far: ${JSON.stringify(buf.slice(0, 500))}`);
        if (isClosed) throw new Error(`connection closed; received: ${JSON.stringify(buf.slice(0, 500))}`);
        await sleep(5);
      }
      return buf;
    },
    closed: () => closedP,
    close: () => socket.destroy(),
  };
}

export function tcpPeer(host: string, port: number): Promise<StreamPeer> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host, port }, () => resolve(wrap(s)));
    s.once('error', reject);
  });
}

export function tlsPeer(host: string, port: number, opts: ConnectionOptions = {}): Promise<StreamPeer> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, ...opts }, () => resolve(wrap(s)));
    s.once('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A well-formed request for tests; pass overrides for any header line. */
export function sipRequest(o: { method?: string; uri: string; transport?: string; via?: string; extra?: string[]; body?: string; callId?: string }): string {
  const method = o.method ?? 'OPTIONS';
  const body = o.body ?? '';
  return [
    `${method} ${o.uri} SIP/2.0`,
    o.via ?? `Via: SIP/2.0/${o.transport ?? 'UDP'} 192.0.2.10:5099;branch=z9hG4bK-${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    'From: <sip:test@example.com>;tag=abc123',
    `To: <${o.uri}>`,
    `Call-ID: ${o.callId ?? Math.random().toString(36).slice(2)}@test`,
    `CSeq: 1 ${method}`,
    ...(o.extra ?? []),
    `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    '',
    body,
  ].join('\r\n');
}
