// The packet path queues datagrams and handles them after the poll phase
// (src/media/relay/session.ts). Driven in-process here, on real loopback
// sockets, to reach the two edges a worker-level test cannot time: a session
// removed while its packets wait, and a burst larger than one batch.
import type { RemoteInfo } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createPortSlice, type BoundPair } from '../../../src/media/relay/ports.js';
import { attach, createLeg, flushQueued, zeroDrops, type Relay, type Session } from '../../../src/media/relay/session.js';
import { peer, portWindow, rtpPacket, type Peer } from './helpers.js';

const open: { pairs: BoundPair[]; peers: Peer[] } = { pairs: [], peers: [] };
afterEach(() => {
  for (const p of open.pairs.splice(0)) {
    p.rtp.close();
    p.rtcp.close();
  }
  for (const p of open.peers.splice(0)) p.close();
});

async function session(id: string): Promise<{ relay: Relay; s: Session; b: Peer; from: RemoteInfo }> {
  const { portMin } = portWindow(8);
  const slice = createPortSlice(portMin, 4);
  const p0 = await slice.take('127.0.0.1');
  const p1 = await slice.take('127.0.0.1');
  if (!p0 || !p1) throw new Error('no ports');
  open.pairs.push(p0, p1);
  const relay: Relay = { latching: 'signaled', relatchAfterMs: 5000, packets: new Float64Array(4), drops: zeroDrops() };
  const s: Session = { id, legs: [createLeg(0, 'external', p0), createLeg(1, 'internal', p1)], createdMs: 0, lastMs: 0, closed: false };
  const b = await peer();
  open.peers.push(b);
  const remote = (port: number) => ({ address: '127.0.0.1', rtpPort: port, rtcpPort: port + 1, rtcpMux: false, clockRate: 8000, codec: 'PCMU' });
  s.legs[0].remote = remote(40000);
  s.legs[1].remote = remote(b.port);
  attach(relay, s);
  // what dgram hands a 'message' listener for a packet from the signaled address
  const from: RemoteInfo = { address: '127.0.0.1', family: 'IPv4', port: 40000, size: 172 };
  return { relay, s, b, from };
}

describe('relay batch queue', () => {
  it('drops, and counts as no_session, packets queued for a session removed before the batch runs', async () => {
    const { relay, s, b, from } = await session('gone');
    for (let i = 0; i < 3; i++) s.legs[0].pair.rtp.emit('message', rtpPacket(i), from);
    // as the worker's remove() does, in the same turn: the batch has not run yet
    s.closed = true;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 50));
    expect(relay.drops.no_session).toBe(3);
    expect(s.legs[0].drops.no_session).toBe(3);
    expect(relay.packets[0]).toBe(0);
    expect(b.received).toHaveLength(0);
  });

  it('flushQueued handles what waits at once: packets that arrived before an update are judged by the state they arrived under', async () => {
    const { relay, s, b, from } = await session('update');
    for (let i = 0; i < 2; i++) s.legs[0].pair.rtp.emit('message', rtpPacket(i), from);
    // what the worker does before a control message, then the update moves the far end
    flushQueued();
    expect(relay.packets[0]).toBe(2);
    s.legs[0].remote = { ...s.legs[0].remote!, address: '127.0.0.9' };
    await b.waitFor(2);
    // a packet from the old address after the update is refused
    s.legs[0].pair.rtp.emit('message', rtpPacket(2), { ...from, port: 40001 });
    await new Promise((r) => setImmediate(r));
    expect(relay.drops.unexpected_source).toBe(1);
    expect(relay.packets[0]).toBe(2);
  });

  it('relays every packet of a burst larger than one batch, in order', async () => {
    const { relay, s, b, from } = await session('burst');
    const n = 600; // more than two batches of 256
    for (let i = 0; i < n; i++) s.legs[0].pair.rtp.emit('message', rtpPacket(i), from);
    // all 600 leave in this one turn, more than a loopback socket's default
    // receive buffer holds: the relay's own counters say what it sent, the
    // peer shows that what got through came in order
    await b.waitFor(100, 5000);
    await new Promise((r) => setTimeout(r, 100));
    const seqs = b.received.map((p) => p.readUInt16BE(2));
    expect(seqs.slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(seqs.every((q, i) => i === 0 || q > seqs[i - 1]!)).toBe(true);
    expect(relay.packets[0]).toBe(n);
    expect(relay.packets[3]).toBe(n);
    expect(s.legs[0].counters[0]).toBe(n);
    expect(relay.drops.no_session).toBe(0);
  });
});
