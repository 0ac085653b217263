// One direction of an SRTP session (RFC 3711 §3.2): the session keys of the
// suite and, per SSRC, the packet index state and replay windows. A context
// either protects (outbound) or unprotects (inbound); do not use one for both.
//
// Inbound order, §3.3: estimate the index, refuse a replay, verify the tag,
// and only then decrypt and update state. A packet that fails any step
// leaves the context exactly as it was.
import { createCmRtcp, createCmRtp } from './cm.js';
import { createGcmRtcp, createGcmRtp } from './gcm.js';
import { deriveSessionKeys, type DerivedKeys } from './kdf.js';
import { createReplayWindow, type ReplayWindow } from './replay.js';
import { isRtcpHeader, rtpHeaderLength } from './rtp-header.js';
import { estimateIndex } from './sequence.js';
import { suite as suiteOf } from './suites.js';
import { RTP_HEADROOM, type RtcpTransform, type RtpTransform } from './transform.js';
import type {
  ContextOptions, ProtectResult, SrtpContext, Suite, SuiteName, UnprotectResult,
} from './types.js';

interface Stream {
  readonly rtp: ReplayWindow;
  readonly rtcp: ReplayWindow;
  /** next SRTCP index to send (§3.4: starts at 0) */
  rtcpNext: number;
}

const SRTCP_INDEX_LIMIT = 0x80000000;

/** A context from the SDES master key and salt (RFC 4568 key-params). */
export function createSrtpContext(
  name: SuiteName, masterKey: Buffer, masterSalt: Buffer, options: ContextOptions = {},
): SrtpContext {
  const s = suiteOf(name);
  return createContextFromSessionKeys(s, deriveSessionKeys(s, masterKey, masterSalt), options);
}

/**
 * Where a context writes its results. A view it returns stays valid until the
 * next call that writes the same Output. Results are cut once per packet size
 * and reused: a stream's packets mostly have one size, and a view plus a
 * result object per packet (two views for unprotect) cost more than the
 * crypto of a G.711 packet once the relay has hundreds of streams.
 */
class Output {
  buf = Buffer.alloc(RTP_HEADROOM + 2048);
  private pBuf: Buffer | undefined;
  private pN = -1;
  private pRes: ProtectResult | undefined;
  private uBuf: Buffer | undefined;
  private uN = -1;
  private uHl = -1;
  private uRes: UnprotectResult | undefined;

  room(n: number): Buffer {
    if (this.buf.length < n) this.buf = Buffer.alloc(Math.max(n, this.buf.length * 2));
    return this.buf;
  }

  protectedRtp(o: Buffer, n: number): ProtectResult {
    if (o !== this.pBuf || n !== this.pN || this.pRes === undefined) {
      this.pBuf = o;
      this.pN = n;
      this.pRes = { ok: true, packet: o.subarray(RTP_HEADROOM, RTP_HEADROOM + n) };
    }
    return this.pRes;
  }

  openedRtp(o: Buffer, hl: number, n: number): UnprotectResult {
    if (o !== this.uBuf || n !== this.uN || hl !== this.uHl || this.uRes === undefined) {
      this.uBuf = o;
      this.uN = n;
      this.uHl = hl;
      this.uRes = { ok: true, packet: o.subarray(RTP_HEADROOM, RTP_HEADROOM + n), payload: o.subarray(RTP_HEADROOM + hl, RTP_HEADROOM + n) };
    }
    return this.uRes;
  }

  /** A send still points at `buf`: write the next results elsewhere. */
  release(): void {
    this.buf = Buffer.alloc(this.buf.length);
    this.pBuf = this.uBuf = undefined;
  }
}

// Thread-wide outputs for contexts made with `sharedOutput`: one for protect
// and one for unprotect results, so a relay can unprotect with one context
// and protect that result with another. Kept warm by every packet instead of
// one cold buffer per context.
let sharedProtect: Output | undefined;
let sharedUnprotect: Output | undefined;

/** A context from already derived session keys (RFC 7714's vectors are given so). */
export function createContextFromSessionKeys(
  s: Suite, keys: DerivedKeys, options: ContextOptions = {},
): SrtpContext {
  return new Context(s, keys, options);
}

// A class rather than an object of closures: the relay calls into hundreds of
// contexts, each packet mostly with cold caches, and each closure scope is one
// more object to fetch from memory before any work is done.
class Context implements SrtpContext {
  private readonly rtpT: RtpTransform;
  private readonly rtcpT: RtcpTransform;
  private readonly windowSize: 64 | 128;
  private readonly maxStreams: number;
  private readonly streams = new Map<number, Stream>();
  // the stream of the last packet: a call has one SSRC per direction, and a
  // Map lookup is several cold cache lines on the relay's packet path
  private lastSsrc = -1;
  private last: Stream | undefined = undefined;
  // RTP packets sit at RTP_HEADROOM (the transform's scratch is in front),
  // RTCP ones at 0; either is a view valid until the next call
  private pOut: Output;
  private uOut: Output;

  constructor(readonly suite: Suite, keys: DerivedKeys, options: ContextOptions) {
    this.windowSize = options.replayWindow ?? 64;
    this.maxStreams = options.maxStreams ?? 16;
    this.rtpT = suite.aead ? createGcmRtp(keys.rtp) : createCmRtp(keys.rtp, suite.rtpTagLength);
    this.rtcpT = suite.aead ? createGcmRtcp(keys.rtcp) : createCmRtcp(keys.rtcp, suite.rtcpTagLength);
    if (options.sharedOutput === true) {
      this.pOut = sharedProtect ??= new Output();
      this.uOut = sharedUnprotect ??= new Output();
    } else {
      this.pOut = this.uOut = new Output();
    }
  }

  private find(ssrc: number): Stream | undefined {
    if (ssrc === this.lastSsrc) return this.last;
    const st = this.streams.get(ssrc);
    if (st !== undefined) {
      this.lastSsrc = ssrc;
      this.last = st;
    }
    return st;
  }

  private stream(ssrc: number): Stream {
    let st = this.find(ssrc);
    if (st === undefined) {
      const streams = this.streams;
      // bounded: forget the oldest SSRC rather than grow per SSRC ever seen
      if (streams.size >= this.maxStreams) {
        const oldest = streams.keys().next().value;
        if (oldest !== undefined) streams.delete(oldest);
      }
      st = { rtp: createReplayWindow(this.windowSize), rtcp: createReplayWindow(this.windowSize), rtcpNext: 0 };
      streams.set(ssrc, st);
      this.lastSsrc = ssrc;
      this.last = st;
    }
    return st;
  }

  protectRtp(packet: Buffer): ProtectResult {
    const len = packet.length;
    const hl = rtpHeaderLength(packet, len);
    if (hl < 0) return { ok: false, reason: len < 12 ? 'short' : 'bad_header' };
    const ssrc = packet.readUInt32BE(8);
    const st = this.stream(ssrc);
    const index = estimateIndex(st.rtp.top, packet.readUInt16BE(2));
    if (index < 0 || !st.rtp.check(index)) return { ok: false, reason: 'replay' };
    const rtpT = this.rtpT;
    const out = this.pOut;
    const o = out.room(RTP_HEADROOM + len + rtpT.tagLength + 4);
    o.set(packet, RTP_HEADROOM);
    const n = rtpT.protect(o, hl, len, ssrc, index);
    st.rtp.accept(index);
    return out.protectedRtp(o, n);
  }

  unprotectRtp(packet: Buffer): UnprotectResult {
    const rtpT = this.rtpT;
    const end = packet.length - rtpT.tagLength;
    if (end < 12) return { ok: false, reason: 'short' };
    const hl = rtpHeaderLength(packet, end);
    if (hl < 0) return { ok: false, reason: 'bad_header' };
    const ssrc = packet.readUInt32BE(8);
    const st = this.find(ssrc);
    const index = estimateIndex(st === undefined ? -1 : st.rtp.top, packet.readUInt16BE(2));
    if (index < 0 || (st !== undefined && !st.rtp.check(index))) return { ok: false, reason: 'replay' };
    const out = this.uOut;
    const o = out.room(RTP_HEADROOM + packet.length + 4);
    const n = rtpT.unprotect(packet, hl, ssrc, index, o);
    if (n < 0) return { ok: false, reason: 'auth' };
    (st ?? this.stream(ssrc)).rtp.accept(index);
    return out.openedRtp(o, hl, n);
  }

  protectRtcp(packet: Buffer): ProtectResult {
    const len = packet.length;
    if (len < 8) return { ok: false, reason: 'short' };
    if (!isRtcpHeader(packet, len)) return { ok: false, reason: 'bad_header' };
    const st = this.stream(packet.readUInt32BE(4));
    // 31-bit index, §3.4: past 2^31 packets the keys must be renegotiated
    if (st.rtcpNext >= SRTCP_INDEX_LIMIT) return { ok: false, reason: 'exhausted' };
    const index = st.rtcpNext++;
    const o = this.pOut.room(len + this.rtcpT.trailerLength);
    packet.copy(o, 0, 0, len);
    const n = this.rtcpT.protect(o, len, packet.readUInt32BE(4), index, true);
    return { ok: true, packet: o.subarray(0, n) };
  }

  unprotectRtcp(packet: Buffer): UnprotectResult {
    const rtcpT = this.rtcpT;
    const len = packet.length;
    if (len < 8 + rtcpT.trailerLength) return { ok: false, reason: 'short' };
    if (!isRtcpHeader(packet, len)) return { ok: false, reason: 'bad_header' };
    const ssrc = packet.readUInt32BE(4);
    const index = packet.readUInt32BE(rtcpT.indexOffset(len)) & 0x7fffffff;
    const st = this.find(ssrc);
    if (st !== undefined && !st.rtcp.check(index)) return { ok: false, reason: 'replay' };
    const o = this.uOut.room(len);
    const n = rtcpT.unprotect(packet, ssrc, o);
    if (n < 0) return { ok: false, reason: 'auth' };
    (st ?? this.stream(ssrc)).rtcp.accept(index);
    return { ok: true, packet: o.subarray(0, n), payload: o.subarray(8, n) };
  }

  releaseOutput(): void {
    this.pOut.release();
    if (this.uOut !== this.pOut) this.uOut.release();
  }
}
