// Per-session state inside a worker and the packet path. One closure per
// socket, mutable counters in place, no allocation of our own per packet.
import type { RemoteInfo, Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { LegStats, MediaDirection, MediaDropReason, MediaRealm, SessionStats } from '../engine.js';
import type { SrtpContext } from '../srtp/types.js';
import { isRtpVersion2, looksLikeRtcp, rtpSeq, rtpTimestamp } from './packet.js';
import { scrubSdes } from './sdes.js';
import type { BoundPair } from './ports.js';
import type { ReceiveStats } from '../stats/index.js';
import { receiveQuality, trackPacket } from './quality.js';
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

/** Per-leg counters in one array: [0] RTP packets received, [1] their bytes, [2] RTCP received, [3..5] the same sent. */
const RX_PACKETS = 0;
const RX_BYTES = 1;
const RX_RTCP = 2;
const TX_PACKETS = 3;
const TX_BYTES = 4;
const TX_RTCP = 5;

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
  /** see RX_PACKETS…TX_RTCP */
  readonly counters: Float64Array;
  readonly drops: Record<MediaDropReason, number>;
  /** receive quality of the RTP this leg's peer sends, from its first packet */
  stats: ReceiveStats | undefined;
  direction: MediaDirection;
}

export interface Session {
  readonly id: string;
  readonly legs: readonly [Leg, Leg];
  readonly createdMs: number;
  /** Last packet that passed validation on either leg (performance.now()). */
  lastMs: number;
  /** Set when the session is removed: its sockets are closed, queued packets are dropped. */
  closed: boolean;
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
    counters: new Float64Array(6),
    drops: zeroDrops(),
    stats: undefined,
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

/** What a socket's datagrams go through: fixed when the session is attached. */
interface Route {
  readonly relay: Relay;
  readonly s: Session;
  /** the leg that received */
  readonly a: Leg;
  /** the leg that sends it on */
  readonly b: Leg;
  readonly onRtcpSocket: boolean;
}

/** Wires both sockets of both legs to the packet path. */
export function attach(relay: Relay, s: Session): void {
  for (const leg of s.legs) {
    const other = s.legs[leg.index === 0 ? 1 : 0];
    const rtp: Route = { relay, s, a: leg, b: other, onRtcpSocket: false };
    const rtcp: Route = { relay, s, a: leg, b: other, onRtcpSocket: true };
    leg.pair.rtp.on('message', (msg: Buffer, rinfo: RemoteInfo) => enqueue(rtp, msg, rinfo));
    leg.pair.rtcp.on('message', (msg: Buffer, rinfo: RemoteInfo) => enqueue(rtcp, msg, rinfo));
  }
}

// Datagrams are queued as the event loop reads them and handled together
// right after its poll phase (setImmediate), instead of one at a time between
// receive system calls. Back to back, the SRTP transform, OpenSSL and the
// send path find their code and data still in the caches; interleaved with
// the kernel's receive path they found them cold, and a 1 µs transform cost
// 4–5 µs (docs/media-relay.md has the measurements). The arrival time is
// taken on receipt, so jitter figures do not include the wait. A full queue
// is handled at once, which bounds both the wait and the memory held.
const BATCH_MAX = 256;
const qRoute: (Route | undefined)[] = new Array<Route | undefined>(BATCH_MAX).fill(undefined);
const qMsg: (Buffer | undefined)[] = new Array<Buffer | undefined>(BATCH_MAX).fill(undefined);
const qInfo: (RemoteInfo | undefined)[] = new Array<RemoteInfo | undefined>(BATCH_MAX).fill(undefined);
const qTime = new Float64Array(BATCH_MAX);
let queued = 0;
let scheduled = false;

function enqueue(r: Route, msg: Buffer, rinfo: RemoteInfo): void {
  const i = queued++;
  qRoute[i] = r;
  qMsg[i] = msg;
  qInfo[i] = rinfo;
  qTime[i] = performance.now();
  if (queued === BATCH_MAX) flush();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flushScheduled);
  }
}

/**
 * Handles what is queued now. The worker calls it before a control message, so
 * packets that arrived before an update are judged by the state they arrived
 * under (old keys, old far end), not by the new one.
 */
export function flushQueued(): void {
  if (queued > 0) flush();
}

function flushScheduled(): void {
  scheduled = false;
  flush();
}

function flush(): void {
  const n = queued;
  // nothing handled here can queue more: our sends reach our own sockets
  // only through the kernel, read in a later poll phase
  queued = 0;
  for (let i = 0; i < n; i++) {
    const r = qRoute[i]!;
    const msg = qMsg[i]!;
    const rinfo = qInfo[i]!;
    qRoute[i] = undefined;
    qMsg[i] = undefined;
    qInfo[i] = undefined;
    // removed while queued: its sockets are closed (or already reused)
    if (r.s.closed) drop(r.relay, r.a, 'no_session');
    else onDatagram(r.relay, r.s, r.a, r.b, r.onRtcpSocket, msg, rinfo, qTime[i]!);
  }
}

function drop(relay: Relay, leg: Leg, reason: MediaDropReason): void {
  leg.drops[reason]++;
  relay.drops[reason]++;
}

// Order matters: cheap checks first, authentication before the packet may
// latch anything, so a forged packet can neither hijack nor refresh a call.
function onDatagram(relay: Relay, s: Session, a: Leg, b: Leg, onRtcpSocket: boolean, msg: Buffer, rinfo: RemoteInfo, now: number): void {
  const remote = a.remote;
  if (remote === undefined) return drop(relay, a, 'no_session');
  if (!isRtpVersion2(msg)) return drop(relay, a, 'malformed');
  const rtcp = onRtcpSocket || (remote.rtcpMux && looksLikeRtcp(msg));
  if (!rtcp && msg.length < 12) return drop(relay, a, 'malformed');

  const latch = onRtcpSocket ? a.rtcpLatch : a.rtpLatch;
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
    a.counters[RX_RTCP]! += 1;
    // SDES text names the sender's host; it must not cross (invariant 1)
    scrubSdes(plain);
  } else {
    const c = a.counters;
    c[RX_PACKETS]! += 1;
    c[RX_BYTES]! += plain.length;
    a.stats = trackPacket(a.stats, rtpSeq(plain), rtpTimestamp(plain), now, plain.length, remote.clockRate);
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
  // `out` may be a view into one of the thread's shared SRTP output buffers,
  // which the next packet overwrites. A send normally completes synchronously
  // (sync lookup, then uv_udp_try_send); when the kernel buffer is full (or a
  // queue already exists) libuv queues it and keeps pointing at those bytes,
  // so the buffers are replaced (releaseOutput, on either context: both are
  // shared) before anything else is written. Checking after the send also
  // covers the send that starts the queue, which a check before it (and a
  // copy) would miss.
  if (out !== msg && sock.getSendQueueCount() > 0) (b.tx ?? a.rx)?.releaseOutput?.();
  relay.packets[2 + b.realmIndex]! += 1;
  const c = b.counters;
  if (rtcp) c[TX_RTCP]! += 1;
  else {
    c[TX_PACKETS]! += 1;
    c[TX_BYTES]! += out.length;
  }
}

export function legStats(leg: Leg): LegStats {
  return {
    realm: leg.realm,
    received: { packets: leg.counters[RX_PACKETS]!, bytes: leg.counters[RX_BYTES]!, rtcpPackets: leg.counters[RX_RTCP]! },
    sent: { packets: leg.counters[TX_PACKETS]!, bytes: leg.counters[TX_BYTES]!, rtcpPackets: leg.counters[TX_RTCP]! },
    quality: receiveQuality(leg.stats, leg.remote?.codec),
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
