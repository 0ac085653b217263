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
import { RTP_HEADROOM } from './transform.js';
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
interface Output {
  room(n: number): Buffer;
  protectedRtp(o: Buffer, n: number): ProtectResult;
  openedRtp(o: Buffer, hl: number, n: number): UnprotectResult;
  /** A send still points at the buffer: write the next results elsewhere. */
  release(): void;
}

function createOutput(): Output {
  let buf = Buffer.alloc(RTP_HEADROOM + 2048);
  let pBuf: Buffer | undefined;
  let pN = -1;
  let pRes: ProtectResult | undefined;
  let uBuf: Buffer | undefined;
  let uN = -1;
  let uHl = -1;
  let uRes: UnprotectResult | undefined;
  return {
    room(n) {
      if (buf.length < n) buf = Buffer.alloc(Math.max(n, buf.length * 2));
      return buf;
    },
    protectedRtp(o, n) {
      if (o !== pBuf || n !== pN || pRes === undefined) {
        pBuf = o;
        pN = n;
        pRes = { ok: true, packet: o.subarray(RTP_HEADROOM, RTP_HEADROOM + n) };
      }
      return pRes;
    },
    openedRtp(o, hl, n) {
      if (o !== uBuf || n !== uN || hl !== uHl || uRes === undefined) {
        uBuf = o;
        uN = n;
        uHl = hl;
        uRes = { ok: true, packet: o.subarray(RTP_HEADROOM, RTP_HEADROOM + n), payload: o.subarray(RTP_HEADROOM + hl, RTP_HEADROOM + n) };
      }
      return uRes;
    },
    release() {
      buf = Buffer.alloc(buf.length);
      pBuf = uBuf = undefined;
    },
  };
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
  const windowSize = options.replayWindow ?? 64;
  const maxStreams = options.maxStreams ?? 16;
  const rtpT = s.aead ? createGcmRtp(keys.rtp) : createCmRtp(keys.rtp, s.rtpTagLength);
  const rtcpT = s.aead ? createGcmRtcp(keys.rtcp) : createCmRtcp(keys.rtcp, s.rtcpTagLength);
  const streams = new Map<number, Stream>();
  // the stream of the last packet: a call has one SSRC per direction, and a
  // Map lookup is several cold cache lines on the relay's packet path
  let lastSsrc = -1;
  let last: Stream | undefined;
  // RTP packets sit at RTP_HEADROOM (the transform's scratch is in front),
  // RTCP ones at 0; either is a view valid until the next call that writes the
  // same output (with sharedOutput: the next of its kind on any such context)
  let pOut: Output;
  let uOut: Output;
  if (options.sharedOutput === true) {
    pOut = sharedProtect ??= createOutput();
    uOut = sharedUnprotect ??= createOutput();
  } else {
    pOut = uOut = createOutput();
  }

  function find(ssrc: number): Stream | undefined {
    if (ssrc === lastSsrc) return last;
    const st = streams.get(ssrc);
    if (st !== undefined) {
      lastSsrc = ssrc;
      last = st;
    }
    return st;
  }

  function stream(ssrc: number): Stream {
    let st = find(ssrc);
    if (st === undefined) {
      // bounded: forget the oldest SSRC rather than grow per SSRC ever seen
      if (streams.size >= maxStreams) {
        const oldest = streams.keys().next().value;
        if (oldest !== undefined) streams.delete(oldest);
        if (oldest === lastSsrc) {
          lastSsrc = -1;
          last = undefined;
        }
      }
      st = { rtp: createReplayWindow(windowSize), rtcp: createReplayWindow(windowSize), rtcpNext: 0 };
      streams.set(ssrc, st);
      lastSsrc = ssrc;
      last = st;
    }
    return st;
  }

  return {
    suite: s,

    protectRtp(packet): ProtectResult {
      const len = packet.length;
      const hl = rtpHeaderLength(packet, len);
      if (hl < 0) return { ok: false, reason: len < 12 ? 'short' : 'bad_header' };
      const ssrc = packet.readUInt32BE(8);
      const st = stream(ssrc);
      const index = estimateIndex(st.rtp.top, packet.readUInt16BE(2));
      if (index < 0 || !st.rtp.check(index)) return { ok: false, reason: 'replay' };
      const o = pOut.room(RTP_HEADROOM + len + rtpT.tagLength + 4);
      o.set(packet, RTP_HEADROOM);
      const n = rtpT.protect(o, hl, len, ssrc, index);
      st.rtp.accept(index);
      return pOut.protectedRtp(o, n);
    },

    unprotectRtp(packet): UnprotectResult {
      const end = packet.length - rtpT.tagLength;
      if (end < 12) return { ok: false, reason: 'short' };
      const hl = rtpHeaderLength(packet, end);
      if (hl < 0) return { ok: false, reason: 'bad_header' };
      const ssrc = packet.readUInt32BE(8);
      const st = find(ssrc);
      const index = estimateIndex(st === undefined ? -1 : st.rtp.top, packet.readUInt16BE(2));
      if (index < 0 || (st !== undefined && !st.rtp.check(index))) return { ok: false, reason: 'replay' };
      const o = uOut.room(RTP_HEADROOM + packet.length + 4);
      const n = rtpT.unprotect(packet, hl, ssrc, index, o);
      if (n < 0) return { ok: false, reason: 'auth' };
      (st ?? stream(ssrc)).rtp.accept(index);
      return uOut.openedRtp(o, hl, n);
    },

    protectRtcp(packet): ProtectResult {
      return sealRtcp(packet, true);
    },

    releaseOutput(): void {
      pOut.release();
      if (uOut !== pOut) uOut.release();
    },

    unprotectRtcp(packet): UnprotectResult {
      const len = packet.length;
      if (len < 8 + rtcpT.trailerLength) return { ok: false, reason: 'short' };
      if (!isRtcpHeader(packet, len)) return { ok: false, reason: 'bad_header' };
      const ssrc = packet.readUInt32BE(4);
      const index = packet.readUInt32BE(rtcpT.indexOffset(len)) & 0x7fffffff;
      const st = find(ssrc);
      if (st !== undefined && !st.rtcp.check(index)) return { ok: false, reason: 'replay' };
      const o = uOut.room(len);
      const n = rtcpT.unprotect(packet, ssrc, o);
      if (n < 0) return { ok: false, reason: 'auth' };
      (st ?? stream(ssrc)).rtcp.accept(index);
      return { ok: true, packet: o.subarray(0, n), payload: o.subarray(8, n) };
    },
  };

  function sealRtcp(packet: Buffer, encrypt: boolean): ProtectResult {
    const len = packet.length;
    if (len < 8) return { ok: false, reason: 'short' };
    if (!isRtcpHeader(packet, len)) return { ok: false, reason: 'bad_header' };
    const st = stream(packet.readUInt32BE(4));
    // 31-bit index, §3.4: past 2^31 packets the keys must be renegotiated
    if (st.rtcpNext >= SRTCP_INDEX_LIMIT) return { ok: false, reason: 'exhausted' };
    const index = st.rtcpNext++;
    const o = pOut.room(len + rtcpT.trailerLength);
    packet.copy(o, 0, 0, len);
    const n = rtcpT.protect(o, len, packet.readUInt32BE(4), index, encrypt);
    return { ok: true, packet: o.subarray(0, n) };
  }
}
