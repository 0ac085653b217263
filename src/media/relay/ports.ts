// A worker's slice of the port range, handed out as (even RTP, odd RTCP) pairs.
// Free pairs form a FIFO so a just-freed pair is reused last: stray packets of
// an ended call then land on a closed port, not on the next call.
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface BoundPair {
  readonly rtpPort: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
}

export interface PortSlice {
  /** Pairs not held by a session (a pair another process holds still counts: we retry it later). */
  free(): number;
  /** Binds the next free pair on `address`; undefined when every free pair failed to bind. */
  take(address: string): Promise<BoundPair | undefined>;
  /** Closes the sockets and returns the pair to the back of the queue. */
  give(pair: BoundPair): void;
}

export function createPortSlice(firstPort: number, pairs: number): PortSlice {
  // A ring of pair indices; head..head+count are free.
  const ring = new Uint16Array(Math.max(pairs, 1));
  for (let i = 0; i < pairs; i++) ring[i] = i;
  let head = 0;
  let count = pairs;

  const shift = (): number => {
    const v = ring[head]!;
    head = (head + 1) % pairs;
    count--;
    return v;
  };
  const push = (v: number): void => {
    ring[(head + count) % pairs] = v;
    count++;
  };

  return {
    free: () => count,
    async take(address) {
      // Each pair is tried at most once per call: if all are busy elsewhere we
      // report exhaustion instead of spinning.
      for (let tries = count; tries > 0; tries--) {
        const index = shift();
        const rtpPort = firstPort + 2 * index;
        const type: SocketType = isIPv6(address) ? 'udp6' : 'udp4';
        const rtp = await bind(type, address, rtpPort);
        const rtcp = rtp ? await bind(type, address, rtpPort + 1) : undefined;
        if (rtp && rtcp) return { rtpPort, rtp, rtcp };
        rtp?.close();
        push(index);
      }
      return undefined;
    },
    give(pair) {
      pair.rtp.close();
      pair.rtcp.close();
      push((pair.rtpPort - firstPort) / 2);
    },
  };
}

// The relay only ever sends to IP literals (checked on update). dgram's default
// lookup defers every send to the next tick through dns.lookup; answering
// synchronously saves that per packet and makes the send happen before the
// packet path returns, which is what lets it reuse buffers.
// A socket's family is fixed, so the answer needs no parsing of the address.
type LookupCallback = (err: Error | null, address: string, family: number) => void;
const lookup4 = (host: string, _f: unknown, cb: LookupCallback): void => cb(null, host, 4);
const lookup6 = (host: string, _f: unknown, cb: LookupCallback): void => cb(null, host, 6);

function bind(type: SocketType, address: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type, lookup: type === 'udp6' ? lookup6 : lookup4 });
    const onError = (): void => {
      s.close();
      resolve(undefined);
    };
    s.once('error', onError);
    s.bind({ address, port, exclusive: true }, () => {
      s.off('error', onError);
      // Send failures (e.g. EHOSTUNREACH) must not crash the worker; the relay
      // has nothing better to do with them than drop the packet.
      s.on('error', () => {});
      resolve(s);
    });
  });
}
