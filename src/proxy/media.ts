// The media layer behind the proxy core's MediaHooks: every SDP body that crosses
// between the realms is anchored on the relay. Per call (one key per INVITE dialog)
// a relay session holds one port pair per leg (external = leg 0, internal = leg 1);
// each offer and answer is read for the sender's media (address, ports, rtcp-mux,
// a=crypto keys → the relay leg's far end) and rewritten for the receiver with our
// address, port, profile and keys on the receiver's realm, under the SRTP policy of
// each side. See docs/media.md.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { MediaConfig, RealmName, SrtpPolicyName } from '../config/schema.js';
import type { LocalEndpoint, MediaDirection, MediaEngine, MediaResult, RemoteSpec, SessionStats, SrtpSuite } from '../media/engine.js';
import {
  checkAnswer, decideOffer, mediaInfos, newLegOrigin, protoFamily, rewriteSdp, sdpToBuffer, spliceSdp,
  type LegOrigin, type LegPresentation, type MediaInfo, type MediaTarget, type Sdp, type SdpLocation, type SrtpPolicy,
} from '../media/sdp/index.js';
import { formatCrypto, generateCrypto, parseCrypto, type SdesCrypto, type SuiteName } from '../media/srtp/index.js';
import type { SipMessage } from '../sip/index.js';
import type { MediaContext, MediaHooks, MediaVerdict } from './media-hooks.js';
import { addressesOf, findSdp, scrubSdp } from './media/body.js';
import { codecOf } from './media/codec.js';

export interface MediaLayerConfig {
  readonly media: Pick<MediaConfig, 'srtp'>;
  readonly trunks: readonly { readonly id: string; readonly srtp?: SrtpPolicyName | undefined }[];
}

export interface MediaLayerOptions {
  readonly engine: MediaEngine;
  readonly config: MediaLayerConfig;
  readonly logger?: Logger;
  /** close() closes the engine too (default true). */
  readonly ownsEngine?: boolean;
  /** Once per call whose media session ended: why, and the final figures (for CDR events). */
  readonly onSessionEnd?: (key: string, end: { reason: string; stats: SessionStats | undefined }) => void;
  /** How long an ended call's key is remembered, so a straggling body cannot allocate ports again (default 5 min). */
  readonly tombstoneMs?: number;
}

export interface MediaLayer extends MediaHooks {
  /** Calls holding (or allocating) a relay session. */
  sessionCount(): number;
  /** The relay's figures for a call, while it lasts. */
  stats(key: string): Promise<SessionStats | undefined>;
}

const LEG_INDEX: Readonly<Record<RealmName, 0 | 1>> = { external: 0, internal: 1 };
const otherRealm = (r: RealmName): RealmName => (r === 'external' ? 'internal' : 'external');
const OK: MediaVerdict = { ok: true };
const refuse = (status: number, reason: string): MediaVerdict => ({ ok: false, status, reason });
const RELAY_SUITES: ReadonlySet<string> = new Set<SrtpSuite>(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM']);

interface Leg {
  readonly realm: RealmName;
  readonly index: 0 | 1;
  local: LocalEndpoint | undefined;
  /** o= state of the bodies we send to this leg's peer (RFC 3264 §8 version rule). */
  origin: LegOrigin;
  /** Our master keys towards this leg's peer, one per suite, made once per call. */
  readonly keys: Map<SuiteName, SdesCrypto>;
  /** The far end last given to the relay. */
  remote: RemoteSpec | undefined;
}

/** The last offer seen in the call, pending or answered. */
interface Offer {
  readonly offerer: RealmName;
  readonly method: string;
  /** Carried by a response (late offer: 18x/2xx to an INVITE without SDP). */
  readonly inResponse: boolean;
  /** The request that carried it (its CSeq as last sent pairs it with its answer, authentication retries included). */
  readonly request: SipMessage | undefined;
  /** CSeq number of the response that carried it. */
  readonly seq: number;
  answered: boolean;
  /** Number of m= lines; the answer must have as many. */
  readonly count: number;
  /** The m= line relayed (one RTP stream per call); -1 when none. */
  readonly primary: number;
  /** What we answer towards the offerer on the primary line. */
  readonly answer: LegPresentation | undefined;
  /** Our key in the answer to the offerer (the offerer's chosen tag and suite). */
  readonly answerKey: SdesCrypto | undefined;
  readonly offererMux: boolean;
  /** What we offered to the receiver on the primary line. */
  readonly presented: LegPresentation | undefined;
  readonly presentedKeys: readonly SdesCrypto[];
  readonly presentedMux: boolean;
  /** For a rollback when the offer is refused. */
  readonly previous: Offer | undefined;
  readonly previousRemote: RemoteSpec | undefined;
}

interface Call {
  readonly key: string;
  readonly legs: Readonly<Record<RealmName, Leg>>;
  allocated: boolean;
  ended: boolean;
  /** Bodies of one call are handled one at a time, in the order they came. */
  chain: Promise<unknown>;
  offer: Offer | undefined;
}

function newLeg(realm: RealmName): Leg {
  const id = String(randomInt(1, 2 ** 47));
  return { realm, index: LEG_INDEX[realm], local: undefined, origin: newLegOrigin({ sessionId: id, version: BigInt(id) }), keys: new Map(), remote: undefined };
}

function rawKey(c: SdesCrypto): Uint8Array {
  const k = c.keys[0]!;
  return Buffer.concat([k.key, k.salt]);
}

function baseProto(p: string): 'RTP/AVP' | 'RTP/SAVP' {
  return protoFamily(p).family === 'savp' ? 'RTP/SAVP' : 'RTP/AVP';
}

/** The first a=crypto line of a stream we can use (known suite, good key, no MKI); undefined when none. */
function usableCrypto(info: MediaInfo): SdesCrypto | undefined {
  for (const c of info.crypto) {
    const r = parseCrypto(c.value);
    if (r.ok && RELAY_SUITES.has(r.crypto.suite.name) && r.crypto.keys.length === 1) return r.crypto;
  }
  return undefined;
}

function errorStatus(r: MediaResult<unknown>): { status: number; reason: string } | undefined {
  if (r.ok) return undefined;
  const code = r.error.code;
  if (code === 'bad_request' || code === 'srtp_unsupported') return { status: 488, reason: code };
  return { status: 503, reason: code };
}

export function createMediaLayer(opts: MediaLayerOptions): MediaLayer {
  const { engine, logger } = opts;
  const tombstoneMs = opts.tombstoneMs ?? 300_000;
  const calls = new Map<string, Call>();
  /** Ended keys → when; a body for one of them is refused rather than allocating again. */
  const tombstones = new Map<string, number>();
  const endCbs: ((key: string, reason: string) => void)[] = [];
  let closed = false;

  const policyOf = (realm: RealmName, trunk: string | undefined): SrtpPolicy => {
    if (realm === 'external' && trunk !== undefined) {
      const t = opts.config.trunks.find((x) => x.id === trunk);
      if (t?.srtp !== undefined) return t.srtp;
    }
    return opts.config.media.srtp[realm];
  };

  const bury = (key: string): void => {
    const now = Date.now();
    tombstones.set(key, now);
    // oldest first (Map order); cheap amortized pruning
    for (const [k, at] of tombstones) {
      if (now - at < tombstoneMs && tombstones.size <= 100_000) break;
      tombstones.delete(k);
    }
  };

  engine.onEnd((e) => {
    const call = calls.get(e.sessionId);
    if (!call) return;
    // the engine freed the ports itself: forget the call, never delete it again
    call.ended = true;
    call.allocated = false;
    calls.delete(call.key);
    bury(call.key);
    logger?.info({ key: call.key, reason: e.reason }, 'media session ended by the relay');
    opts.onSessionEnd?.(call.key, { reason: e.reason, stats: e.stats });
    for (const cb of endCbs) cb(call.key, e.reason);
  });

  const fireEnd = (key: string, reason: string): void => {
    setImmediate(() => {
      for (const cb of endCbs) cb(key, reason);
    });
  };

  async function ensureSession(call: Call): Promise<MediaVerdict> {
    if (call.allocated) return OK;
    const r = await engine.allocate({ id: call.key, legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) {
      logger?.warn({ key: call.key, code: r.error.code, message: r.error.message }, 'media allocation failed');
      return refuse(503, r.error.code);
    }
    call.allocated = true;
    call.legs.external.local = r.value[0];
    call.legs.internal.local = r.value[1];
    if (call.ended) return refuse(503, 'call_ended'); // end() queued the delete behind us
    return OK;
  }

  async function setRemote(call: Call, leg: Leg, info: MediaInfo, sdp: Sdp, srtp: RemoteSpec['srtp'], mux: boolean): Promise<MediaVerdict> {
    const dir: MediaDirection = info.rejected || info.holdByAddress ? 'inactive' : info.direction;
    // RFC 2543 hold (c=0.0.0.0) says where not to send; the previous far end stays.
    if (!info.rejected && !info.holdByAddress && info.connection !== undefined) {
      const codec = codecOf(sdp, info.index, info.formats);
      const remote: RemoteSpec = {
        address: info.connection.address,
        rtpPort: info.port,
        ...(info.rtcp !== undefined && !mux ? { rtcpPort: info.rtcp.port } : {}),
        rtcpMux: mux,
        ...(codec ? { codec: codec.codec, clockRate: codec.clockRate } : {}),
        ...(srtp ? { srtp } : {}),
      };
      const u = await engine.update(call.key, leg.index, remote);
      const bad = errorStatus(u);
      if (bad) {
        logger?.info({ key: call.key, realm: leg.realm, error: u.ok ? undefined : u.error.message }, 'relay refused the far end');
        return refuse(bad.status, bad.reason);
      }
      leg.remote = remote;
    }
    const d = await engine.direction(call.key, leg.index, dir);
    const bad = errorStatus(d);
    return bad ? refuse(bad.status, bad.reason) : OK;
  }

  /** Rewrites the SDP for `to`'s leg and puts it into the message; the leg's o= state advances. */
  function emit(msg: SipMessage, sdp: Sdp, location: SdpLocation, to: Leg, targets: (MediaTarget | undefined)[], call: Call): MediaVerdict {
    const own = new Set([call.legs.external.local!.advertise, call.legs.internal.local!.advertise]);
    const theirs = [...addressesOf(sdp)].filter((a) => !own.has(a));
    const clean = scrubSdp(sdp, theirs);
    const r = rewriteSdp(clean, { address: to.local!.advertise, leg: to.origin, stripIce: true, media: targets });
    if (!r.ok) {
      logger?.warn({ key: call.key, reason: r.reason, detail: r.detail }, 'SDP rewrite failed');
      return refuse(488, `rewrite_${r.reason}`);
    }
    const out = sdpToBuffer(r.sdp);
    msg.setBody(location.start === 0 && location.end === msg.body.length ? out : spliceSdp(msg.body, location, out));
    to.origin = r.leg;
    return OK;
  }

  function ourKey(leg: Leg, suite: SuiteName, tag: number): SdesCrypto {
    let k = leg.keys.get(suite);
    if (k === undefined) {
      k = generateCrypto(tag, suite).crypto;
      leg.keys.set(suite, k);
    }
    return k.tag === tag ? k : { ...k, tag };
  }

  async function onOffer(call: Call, ctx: MediaContext, sdp: Sdp, location: SdpLocation): Promise<MediaVerdict> {
    const from = call.legs[ctx.from];
    const to = call.legs[ctx.to];
    const infos = mediaInfos(sdp);
    const keys = infos.map(usableCrypto);
    const offered = infos.map((m, i) => ({ proto: m.proto, port: m.port, crypto: keys[i] !== undefined }));
    const decision = decideOffer(offered, policyOf(ctx.from, ctx.trunk), policyOf(ctx.to, ctx.trunk));
    if (!decision.ok) {
      // a crypto line that is there but unusable is the reason worth logging
      const sdes = infos[decision.index]?.crypto[0];
      const why = sdes !== undefined && keys[decision.index] === undefined ? parseCrypto(sdes.value) : undefined;
      logger?.info({ key: call.key, reason: decision.reason, detail: decision.detail, sdes: why && !why.ok ? why.reason : undefined }, 'offer refused by SRTP policy');
      return refuse(488, decision.reason);
    }
    const primary = decision.media.findIndex((d) => d.kind === 'relay');
    const alloc = await ensureSession(call);
    if (!alloc.ok) return alloc;

    let answer: LegPresentation | undefined;
    let answerKey: SdesCrypto | undefined;
    let presented: LegPresentation | undefined;
    let presentedKeys: SdesCrypto[] = [];
    let offererMux = false;
    const previousRemote = from.remote;
    if (primary >= 0) {
      const d = decision.media[primary]!;
      if (d.kind !== 'relay') throw new Error('unreachable');
      const info = infos[primary]!;
      answer = d.answer;
      presented = d.offer;
      offererMux = info.rtcpMux;
      let srtp: RemoteSpec['srtp'];
      if (d.offererSrtp) {
        const theirs = keys[primary]!;
        answerKey = ourKey(from, theirs.suite.name, theirs.tag);
        srtp = { rx: { suite: theirs.suite.name, key: rawKey(theirs) }, tx: { suite: answerKey.suite.name, key: rawKey(answerKey) } };
      }
      if (presented.crypto) presentedKeys = suitesToOffer().map((s, i) => ourKey(to, s, i + 1));
      const set = await setRemote(call, from, info, sdp, srtp, offererMux);
      if (!set.ok) return set;
    }
    if (call.ended) return refuse(503, 'call_ended');

    const targets: (MediaTarget | undefined)[] = infos.map((info, i) => {
      if (i === primary) {
        const l = to.local!;
        return {
          address: l.advertise, port: l.rtpPort, rtcpPort: l.rtcpPort, rtcpMux: offererMux,
          proto: baseProto(presented!.proto), crypto: presented!.crypto ? presentedKeys.map(formatCrypto) : [],
        };
      }
      // one relayed stream per call: other active lines (video, T.38, DTLS) are refused with port 0
      return info.port === 0 ? undefined : { address: to.local!.advertise, port: 0, crypto: [] };
    });
    const v = emit(ctx.msg, sdp, location, to, targets, call);
    if (!v.ok) return v;
    const cs = ctx.msg.cseq();
    call.offer = {
      offerer: ctx.from, method: ctx.method, inResponse: ctx.status !== 0, request: ctx.status === 0 ? ctx.msg : undefined, seq: cs.seq,
      answered: false, count: infos.length, primary, answer, answerKey, offererMux, presented, presentedKeys, presentedMux: offererMux,
      previous: call.offer?.answered ? call.offer : call.offer?.previous, previousRemote,
    };
    return OK;
  }

  async function onAnswer(call: Call, ctx: MediaContext, sdp: Sdp, location: SdpLocation, o: Offer): Promise<MediaVerdict> {
    const answerer = call.legs[ctx.from];
    const offerer = call.legs[ctx.to];
    const infos = mediaInfos(sdp);
    if (infos.length !== o.count) {
      logger?.info({ key: call.key, offered: o.count, answered: infos.length }, 'answer with a different number of m= lines');
      return refuse(488, 'answer_mismatch');
    }
    const alloc = await ensureSession(call);
    if (!alloc.ok) return alloc;
    let rejected = true;
    if (o.primary >= 0) {
      const info = infos[o.primary]!;
      // the answer must pick one of the tags (and suites) we offered (RFC 4568 §7.1.3)
      let theirs: SdesCrypto | undefined;
      let ours: SdesCrypto | undefined;
      for (const c of info.crypto) {
        const r = parseCrypto(c.value);
        if (!r.ok || r.crypto.keys.length !== 1) continue;
        const mine = o.presentedKeys.find((k) => k.tag === r.crypto.tag && k.suite.name === r.crypto.suite.name);
        if (mine) {
          theirs = r.crypto;
          ours = mine;
          break;
        }
      }
      const check = checkAnswer(o.presented!, { proto: info.proto, port: info.port, crypto: theirs !== undefined }, policyOf(ctx.from, ctx.trunk));
      if (!check.ok) {
        logger?.info({ key: call.key, reason: check.reason, detail: check.detail }, 'answer refused by SRTP policy');
        return refuse(488, check.reason);
      }
      rejected = check.rejected;
      const srtp: RemoteSpec['srtp'] = check.srtp && theirs && ours
        ? { rx: { suite: theirs.suite.name, key: rawKey(theirs) }, tx: { suite: ours.suite.name, key: rawKey(ours) } }
        : undefined;
      const set = await setRemote(call, answerer, info, sdp, srtp, o.presentedMux && info.rtcpMux);
      if (!set.ok) return set;
      if (rejected) {
        // the answerer refused the stream: the offerer's side goes quiet too
        const d = await engine.direction(call.key, offerer.index, 'inactive');
        const bad = errorStatus(d);
        if (bad) return refuse(bad.status, bad.reason);
      }
    }
    if (call.ended) return refuse(503, 'call_ended');
    const targets: (MediaTarget | undefined)[] = infos.map((info, i) => {
      const l = offerer.local!;
      if (i === o.primary && !rejected) {
        return {
          address: l.advertise, port: l.rtpPort, rtcpPort: l.rtcpPort, rtcpMux: o.offererMux,
          proto: baseProto(o.answer!.proto), crypto: o.answer!.crypto && o.answerKey ? [formatCrypto(o.answerKey)] : [],
        };
      }
      return info.port === 0 ? undefined : { address: l.advertise, port: 0, crypto: [] };
    });
    const v = emit(ctx.msg, sdp, location, offerer, targets, call);
    if (!v.ok) return v;
    o.answered = true;
    return OK;
  }

  function suitesToOffer(): SuiteName[] {
    return [...opts.config.media.srtp.suites];
  }

  /** An offer refused by a final non-2xx: the state before it comes back (RFC 3264 §5: the old session stays). */
  async function rollback(call: Call, o: Offer): Promise<void> {
    call.offer = o.previous;
    const leg = call.legs[o.offerer];
    if (o.previousRemote !== undefined && call.allocated && !call.ended) {
      await engine.update(call.key, leg.index, o.previousRemote);
      leg.remote = o.previousRemote;
    }
  }

  type Kind = 'offer' | 'answer' | 'strip';

  function classify(call: Call, ctx: MediaContext): Kind {
    const o = call.offer;
    const toOfferer = o !== undefined && o.offerer === ctx.to;
    if (ctx.status === 0) {
      switch (ctx.method) {
        case 'INVITE':
        case 'UPDATE':
          return 'offer';
        case 'ACK':
          // only the answer to an offer in a 2xx (late offer)
          return toOfferer && o!.inResponse && o!.method === 'INVITE' ? 'answer' : 'strip';
        case 'PRACK':
          // the answer to an offer in a reliable 18x, or else a new offer (RFC 3262 §5)
          return toOfferer && o!.inResponse && !o!.answered ? 'answer' : 'offer';
        default:
          return 'strip';
      }
    }
    const seq = ctx.msg.cseq().seq;
    if (toOfferer && !o!.inResponse && o!.method === ctx.method && o!.request?.cseq().seq === seq) return 'answer';
    // a late offer (18x/2xx to an INVITE without SDP), or that offer again (retransmitted 2xx, 183 then 200)
    if (ctx.method === 'INVITE') return 'offer';
    return 'strip';
  }

  async function handle(call: Call, ctx: MediaContext): Promise<MediaVerdict> {
    if (call.ended || closed) return refuse(503, 'call_ended');
    const found = findSdp(ctx.msg);
    if (found.kind === 'none') return OK;
    const o = call.offer;
    if (ctx.status >= 300) {
      // a failure answering an offer: the offer is void; an SDP in it (488 with capabilities) must not cross
      if (o && !o.answered && o.offerer === ctx.to && !o.inResponse && o.method === ctx.method) await rollback(call, o);
      ctx.msg.setBody(Buffer.alloc(0));
      return OK;
    }
    if (found.kind === 'bad') {
      logger?.info({ key: call.key, reason: found.reason, detail: found.detail, method: ctx.method, status: ctx.status }, 'unreadable SDP');
      return refuse(488, `sdp_${found.reason}`);
    }
    const kind = classify(call, ctx);
    if (kind === 'strip') {
      logger?.debug({ key: call.key, method: ctx.method, status: ctx.status }, 'SDP outside any offer/answer exchange removed');
      ctx.msg.setBody(Buffer.alloc(0));
      return OK;
    }
    if (kind === 'offer') return onOffer(call, ctx, found.sdp, found.location);
    const v = await onAnswer(call, ctx, found.sdp, found.location, o!);
    if (!v.ok && ctx.method === 'ACK') {
      // an ACK cannot be refused: the call is up without agreed media, so it ends (BYE both ways)
      fireEnd(call.key, `answer_refused_${v.reason}`);
    }
    return v;
  }

  function callFor(key: string): Call | undefined {
    let call = calls.get(key);
    if (call) return call;
    if (tombstones.has(key) || closed) return undefined;
    call = { key, legs: { external: newLeg('external'), internal: newLeg('internal') }, allocated: false, ended: false, chain: Promise.resolve(), offer: undefined };
    calls.set(key, call);
    return call;
  }

  function end(key: string): void {
    const call = calls.get(key);
    if (!call) return;
    calls.delete(key);
    bury(key);
    call.ended = true;
    // behind whatever is in flight for the call: an allocation finishing later is freed too
    call.chain = call.chain.then(async () => {
      if (!call.allocated) return;
      call.allocated = false;
      const r = await engine.delete(key);
      opts.onSessionEnd?.(key, { reason: 'call_ended', stats: r.ok ? r.value : undefined });
    }).catch((err: unknown) => {
      logger?.error({ key, err: err instanceof Error ? err.message : String(err) }, 'media delete failed');
    });
  }

  return {
    process(ctx) {
      // nothing to do for a body that is not SDP: no state, no allocation
      if (ctx.msg.body.length === 0) return OK;
      const call = callFor(ctx.key);
      if (!call) {
        // an ended call's straggler: its SDP must not cross unanchored
        if (findSdp(ctx.msg).kind === 'none') return OK;
        if (ctx.status >= 300 || ctx.method === 'ACK') {
          ctx.msg.setBody(Buffer.alloc(0));
          return OK;
        }
        return refuse(503, 'call_ended');
      }
      const run = call.chain.then(() => handle(call, ctx));
      call.chain = run.catch(() => undefined);
      return run;
    },
    end,
    onEnd(cb) {
      endCbs.push(cb);
    },
    async close() {
      closed = true;
      const pending = [...calls.values()].map((c) => c.chain);
      calls.clear();
      await Promise.allSettled(pending);
      if (opts.ownsEngine !== false) await engine.close();
    },
    sessionCount: () => calls.size,
    async stats(key) {
      const call = calls.get(key);
      if (!call?.allocated) return undefined;
      const r = await engine.stats(key);
      return r.ok ? r.value : undefined;
    },
  };
}
