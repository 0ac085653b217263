// Loopback peers for relay tests. Each test file takes its own random port
// window so files running in parallel never share a port.
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** A random even base in 40000–59999 with `size` ports above it. */
export function portWindow(size: number): { portMin: number; portMax: number } {
  const base = 40000 + 2 * Math.floor(Math.random() * ((20000 - size) / 2));
  return { portMin: base, portMax: base + size - 1 };
}

export interface Peer {
  readonly socket: Socket;
  readonly port: number;
  readonly received: Buffer[];
  /** Resolves once `n` packets have arrived in total, or rejects after `ms`. */
  waitFor(n: number, ms?: number): Promise<Buffer[]>;
  send(buf: Buffer, port: number, address?: string): Promise<void>;
  close(): void;
}

export async function peer(address = '127.0.0.1'): Promise<Peer> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, address, r));
  const received: Buffer[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (m) => {
    received.push(m);
    for (const w of waiters.splice(0)) w();
  });
  return {
    socket,
    port: (socket.address() as AddressInfo).port,
    received,
    waitFor(n, ms = 2000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`waited ${ms} ms for ${n} packets, got ${received.length}`)), ms);
        const check = (): void => {
          if (received.length >= n) {
            clearTimeout(timer);
            resolve(received);
          } else waiters.push(check);
        };
        check();
      });
    },
    send: (buf, port, addr = '127.0.0.1') => new Promise((r, j) => socket.send(buf, port, addr, (e) => (e ? j(e) : r()))),
    close: () => socket.close(),
  };
}

/** A 172-byte G.711 packet (12-byte header + 160 bytes of 20 ms audio). */
export function rtpPacket(seq: number, ssrc = 0x11223344, fill = seq & 0xff, pt = 0): Buffer {
  const b = Buffer.alloc(172, fill);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** A minimal RTCP receiver report (RFC 3550 §6.4.2) with no report blocks. */
export function rtcpPacket(ssrc = 0x11223344): Buffer {
  const b = Buffer.alloc(8);
  b[0] = 0x80;
  b[1] = 201;
  b.writeUInt16BE(1, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
