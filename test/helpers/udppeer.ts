// A scripted UDP SIP peer for tests: a bound socket that records every datagram and
// lets a test wait for the next one matching a predicate, bounded in time.
import { createSocket, type Socket } from 'node:dgram';

export interface UdpPeer {
  readonly address: string;
  readonly port: number;
  readonly received: Array<{ text: string; from: { address: string; port: number } }>;
  send(text: string, port: number, address: string): Promise<void>;
  next(pred: (text: string) => boolean, ms?: number): Promise<{ text: string; from: { address: string; port: number } }>;
  close(): void;
}

export async function udpPeer(address: string): Promise<UdpPeer> {
  const sock: Socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const received: UdpPeer['received'] = [];
  let cursor = 0;
  sock.on('message', (m, r) => received.push({ text: m.toString('latin1'), from: { address: r.address, port: r.port } }));
  await new Promise<void>((res) => sock.bind(0, address, () => res()));
  const port = sock.address().port;
  return {
    address,
    port,
    received,
    send: (text, p, a) => new Promise((res, rej) => sock.send(Buffer.from(text, 'latin1'), p, a, (e) => (e ? rej(e) : res()))),
    async next(pred, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        while (cursor < received.length) {
          const m = received[cursor++]!;
          if (pred(m.text)) return m;
        }
        if (Date.now() > deadline) throw new Error(`no matching datagram in ${ms} ms; got: ${received.map((r) => r.text.split('\r\n', 1)[0]).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    close: () => sock.close(),
  };
}

/** Header value of the first line named `name` (case-insensitive), from a raw message. */
export function hdr(text: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  return re.exec(text.split('\r\n\r\n', 1)[0] ?? '')?.[1]?.trim();
}

export const startLine = (text: string) => text.split('\r\n', 1)[0] ?? '';

/**
 * A response to the raw request `req` as a scripted UAS writes it: its Via, From,
 * Call-ID and CSeq, its To with `;tag=callee1` unless it has a tag, then `extra`.
 */
export function answer(req: string, status: string, extra: string[] = []): string {
  return [
    `SIP/2.0 ${status}`,
    ...req.split('\r\n').filter((l) => /^(Via|From|Call-ID|CSeq):/i.test(l)),
    `To: ${hdr(req, 'To')}${/tag=/.test(hdr(req, 'To') ?? '') ? '' : ';tag=callee1'}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
