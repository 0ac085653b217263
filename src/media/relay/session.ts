// Per-session state inside a worker and the packet path. One closure per
// socket, mutable counters in place, no allocation of our own per packet.
import type { RemoteInfo, Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { LegStats, MediaDirection, MediaDropReason, MediaRealm, SessionStats } from '../engine.js';
import type { SrtpContext } from '../srtp/types.js';
import { isRtpVersion2, looksLikeRtcp, rtpSeq, rtpTimestamp } from './packet.js';
import { scrubSdes } from './sdes.js';
import type { BoundPair } from './ports.js';
import { createReceiveTracker, type ReceiveTracker } from './quality.js';
import type { LatchPolicy } from './types.js';

/** A learned source; port 0 means nothing latched yet. */
export interface Latch {
  address: string;
  port: number;
  lastMs: number;
}

export interface Remote {
  readonly address: string;
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtcpMux: boolean;
  readonly clockRate: number;
  readonly codec: string | undefined;
}

interface Counters {
  packets: number;
  bytes: number;
  rtcpPackets: number;
}

export const DROP_REASONS: readonly MediaDropReason[] = ['srtp_auth', 'replay', 'unexpected_source', 'no_session', 'malformed'];
export const REALM_INDEX: Readonly<Record<MediaRealm, number>> = { external: 0, internal: 1 };

export interface Leg {
  readonly index: 0 | 1;
  readonly realm: MediaRealm;
  readonly realmIndex: number;
  readonly pair: BoundPair;
  remote: Remote | undefined;
  /** Unprotects what the peer sends; null on a plain RTP leg. */
  rx: SrtpContext | null;
  /** Protects what we send the peer. */
  tx: SrtpContext | null;
  /** Identity of the keys behind rx/tx, to tell a re-offer with new keys from an unchanged one. */
  keys: string;
  readonly rtpLatch: Latch;
  readonly rtcpLatch: Latch;
  readonly received: Counters;
  readonly sent: Counters;
  readonly drops: Record<MediaDropReason, number>;
  tracker: ReceiveTracker;
  direction: MediaDirection;
}

export interface Session {
  readonly id: string;
  readonly legs: readonly [Leg, Leg];
  readonly createdMs: number;
  /** Last packet that passed validation on either leg (performance.now()). */
  lastMs: number;
}

/** Worker-wide policy and counters shared by every session. */
export interface Relay {
  readonly latching: LatchPolicy;
  readonly relatchAfterMs: number;
  /** [in external, in internal, out external, out internal] since the last tick. */
  readonly packets: Float64Array;
  readonly drops: Record<MediaDropReason, number>;
}

export function createLeg(index: 0 | 1, realm: MediaRealm, pair: BoundPair): Leg {
  return {
    index,
    realm,
    realmIndex: REALM_INDEX[realm],
    pair,
    remote: undefined,
    rx: null,
    tx: null,
    keys: '',
    rtpLatch: { address: '', port: 0, lastMs: 0 },
    rtcpLatch: { address: '', port: 0, lastMs: 0 },
    received: { packets: 0, bytes: 0, rtcpPackets: 0 },
    sent: { packets: 0, bytes: 0, rtcpPackets: 0 },
    drops: zeroDrops(),
    tracker: createReceiveTracker(),
    direction: 'sendrecv',
  };
}

export function zeroDrops(): Record<MediaDropReason, number> {
  return { srtp_auth: 0, replay: 0, unexpected_source: 0, no_session: 0, malformed: 0 };
}

/** Forgets what was learned about a leg's peer: a new offer/answer may move it. */
export function resetLatch(leg: Leg): void {
  leg.rtpLatch.port = 0;
  leg.rtpLatch.address = '';
  leg.rtcpLatch.port = 0;
  leg.rtcpLatch.address = '';
}

/** Wires both sockets of both legs to the packet path. */
export function attach(relay: Relay, s: Session): void {
  for (const leg of s.legs) {
    const other = s.legs[leg.index === 0 ? 1 : 0];
    leg.pair.rtp.on('message', (msg: Buffer, rinfo: RemoteInfo) => onDatagram(relay, s, leg, other, false, msg, rinfo));
    leg.pair.rtcp.on('message', (msg: Buffer, rinfo: RemoteInfo) => onDatagram(relay, s, leg, other, true, msg, rinfo));
  }
}

function drop(relay: Relay, leg: Leg, reason: MediaDropReason): void {
  leg.drops[reason]++;
  relay.drops[reason]++;
}

// Order matters: cheap checks first, authentication before the packet may
// latch anything, so a forged packet can neither hijack nor refresh a call.
function onDatagram(relay: Relay, s: Session, a: Leg, b: Leg, onRtcpSocket: boolean, msg: Buffer, rinfo: RemoteInfo): void {
  const remote = a.remote;
  if (remote === undefined) return drop(relay, a, 'no_session');
  if (!isRtpVersion2(msg)) return drop(relay, a, 'malformed');
  const rtcp = onRtcpSocket || (remote.rtcpMux && looksLikeRtcp(msg));
  if (!rtcp && msg.length < 12) return drop(relay, a, 'malformed');

  const latch = onRtcpSocket ? a.rtcpLatch : a.rtpLatch;
  const now = performance.now();
  const known = latch.port === rinfo.port && latch.address === rinfo.address;
  if (!known) {
    const admissible = relay.latching === 'any' || rinfo.address === remote.address;
    const free = latch.port === 0 || now - latch.lastMs >= relay.relatchAfterMs;
    if (!admissible || !free) return drop(relay, a, 'unexpected_source');
  }

  let plain = msg;
  if (a.rx !== null) {
    const r = rtcp ? a.rx.unprotectRtcp(msg) : a.rx.unprotectRtp(msg);
    if (!r.ok) return drop(relay, a, r.reason === 'auth' ? 'srtp_auth' : r.reason === 'replay' ? 'replay' : 'malformed');
    plain = r.packet;
  }

  if (!known) {
    latch.address = rinfo.address;
    latch.port = rinfo.port;
  }
  latch.lastMs = now;
  s.lastMs = now;
  relay.packets[a.realmIndex]! += 1;
  if (rtcp) {
    a.received.rtcpPackets++;
    // SDES text names the sender's host; it must not cross (invariant 1)
    scrubSdes(plain);
  } else {
    a.received.packets++;
    a.received.bytes += plain.length;
    a.tracker.onPacket(rtpSeq(plain), rtpTimestamp(plain), now, plain.length, remote.clockRate);
  }

  const bRemote = b.remote;
  if (bRemote === undefined) return drop(relay, a, 'no_session');
  let out = plain;
  if (b.tx !== null) {
    const r = rtcp ? b.tx.protectRtcp(plain) : b.tx.protectRtp(plain);
    if (!r.ok) return drop(relay, a, r.reason === 'replay' ? 'replay' : 'malformed');
    out = r.packet;
  }

  let sock: Socket;
  let dest: Latch;
  let port: number;
  if (!rtcp || bRemote.rtcpMux) {
    sock = b.pair.rtp;
    dest = b.rtpLatch;
    port = dest.port !== 0 ? dest.port : bRemote.rtpPort;
  } else {
    sock = b.pair.rtcp;
    dest = b.rtcpLatch;
    port = dest.port !== 0 ? dest.port : bRemote.rtcpPort;
  }
  sock.send(out, port, dest.port !== 0 ? dest.address : bRemote.address);
  // `out` may be a view into a context-owned buffer that the next packet
  // overwrites. A send normally completes synchronously (sync lookup, then
  // uv_udp_try_send); when the kernel buffer is full (or a queue already
  // exists) libuv queues it and keeps pointing at those bytes, so the context
  // that produced them must write the next packet elsewhere. Checking after
  // the send also covers the send that starts the queue, which a check
  // before it (and a copy) would miss.
  if (out !== msg && sock.getSendQueueCount() > 0) (b.tx ?? a.rx)?.releaseOutput?.();
  relay.packets[2 + b.realmIndex]! += 1;
  if (rtcp) b.sent.rtcpPackets++;
  else {
    b.sent.packets++;
    b.sent.bytes += out.length;
  }
}

export function legStats(leg: Leg): LegStats {
  return {
    realm: leg.realm,
    received: { ...leg.received },
    sent: { ...leg.sent },
    quality: leg.tracker.snapshot(leg.remote?.codec),
    drops: { ...leg.drops },
    latched: leg.rtpLatch.port !== 0 ? `${leg.rtpLatch.address}:${leg.rtpLatch.port}` : undefined,
  };
}

export function sessionStats(s: Session, now: number): SessionStats {
  return { id: s.id, legs: [legStats(s.legs[0]), legStats(s.legs[1])], durationMs: Math.round(now - s.createdMs) };
}

export function onHold(s: Session): boolean {
  return s.legs[0].direction !== 'sendrecv' || s.legs[1].direction !== 'sendrecv';
}
