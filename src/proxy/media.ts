// The media layer behind the proxy core's MediaHooks: every SDP body that crosses
// between the realms is anchored on the relay. Per call (one key per INVITE dialog)
// a relay session holds one port pair per leg (external = leg 0, internal = leg 1);
// each offer and answer is read for the sender's media (address, ports, rtcp-mux,
// a=crypto keys → the relay leg's far end) and rewritten for the receiver with our
// address, port, profile and keys on the receiver's realm, under the SRTP policy of
// each side. See docs/media.md.
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
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
  /**
   * Relay sessions kept allocated ahead of calls (default 0). With one at hand a call's
   * first offer is rewritten at once instead of after a round trip to a relay worker,
   * so the INVITE leaves as fast as without media (and a CANCEL cannot overtake it).
   */
  readonly spares?: number;
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
  /** The relay's session id: the key, or the id of the spare session the call took. */
  sessionId: string;
  readonly legs: Readonly<Record<RealmName, Leg>>;
  allocated: boolean;
  ended: boolean;
  /** While an allocation is in flight, later bodies of the call wait behind it (in order). */
  pending: Promise<unknown> | undefined;
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
    // a spare nobody took timed out like any silent session: replace it
    const spareAt = spares.findIndex((s) => s.id === e.sessionId);
    if (spareAt >= 0) {
      spares.splice(spareAt, 1);
      refill();
      return;
    }
    const call = bySession.get(e.sessionId);
    if (!call) return;
    bySession.delete(e.sessionId);
    // the engine freed the ports itself: forget the call, never delete it again
    call.ended = true;
    call.allocated = false;
    if (calls.get(call.key) === call) calls.delete(call.key);
    bury(call.key);
    logger?.info({ call: call.key, reason: e.reason }, 'media session ended by the relay');
    opts.onSessionEnd?.(call.key, { reason: e.reason, stats: e.stats });
    for (const cb of endCbs) cb(call.key, e.reason);
  });

  const fireEnd = (key: string, reason: string): void => {
    setImmediate(() => {
      for (const cb of endCbs) cb(key, reason);
    });
  };

  const bySession = new Map<string, Call>();
  const spares: { id: string; locals: readonly [LocalEndpoint, LocalEndpoint] }[] = [];
  const spareTarget = opts.spares ?? 0;
  let filling = 0;
  let spareSeq = 0;

  function refill(): void {
    while (!closed && spares.length + filling < spareTarget) {
      filling++;
      const id = `spare-${process.pid}-${++spareSeq}-${randomInt(1, 2 ** 40)}`;
      engine.allocate({ id, legs: [{ realm: 'external' }, { realm: 'internal' }] }).then((r) => {
        filling--;
        if (!r.ok) return; // no retry loop: the next call that takes a spare asks again
        if (closed) void engine.delete(id);
        else spares.push({ id, locals: r.value });
      }, () => {
        filling--;
      });
    }
  }

  function adopt(call: Call, id: string, locals: readonly [LocalEndpoint, LocalEndpoint]): void {
    call.sessionId = id;
    call.allocated = true;
    call.legs.external.local = locals[0];
    call.legs.internal.local = locals[1];
    bySession.set(id, call);
  }

  function takeSpare(call: Call): boolean {
    const s = spares.shift();
    if (!s) return false;
    adopt(call, s.id, s.locals);
    refill();
    return true;
  }

  async function allocate(call: Call): Promise<MediaVerdict> {
    const r = await engine.allocate({ id: call.key, legs: [{ realm: 'external' }, { realm: 'internal' }] });
    if (!r.ok) {
      logger?.warn({ call: call.key, code: r.error.code, message: r.error.message }, 'media allocation failed');
      return refuse(503, r.error.code);
    }
    adopt(call, call.key, r.value);
    if (call.ended) return refuse(503, 'call_ended'); // end() queued the delete behind us
    return OK;
  }

  /** Control messages to the relay go out without waiting: a worker handles them in order, and what it could refuse was checked here. */
  function send(call: Call, what: string, p: Promise<MediaResult<unknown>>): void {
    p.then((r) => {
      if (!r.ok && r.error.code !== 'unknown_session') logger?.warn({ call: call.key, what, code: r.error.code, message: r.error.message }, 'relay refused a media update');
    }, (err: unknown) => {
      logger?.error({ call: call.key, what, err: err instanceof Error ? err.message : String(err) }, 'relay update failed');
    });
  }

  function setRemote(call: Call, leg: Leg, info: MediaInfo, sdp: Sdp, srtp: RemoteSpec['srtp'], mux: boolean): MediaVerdict {
    const dir: MediaDirection = info.rejected || info.holdByAddress ? 'inactive' : info.direction;
    // RFC 2543 hold (c=0.0.0.0) says where not to send; the previous far end stays.
    if (!info.rejected && !info.holdByAddress && info.connection !== undefined) {
      const address = info.connection.address;
      const family = isIP(address);
      // what the relay would refuse, refused here so the update can go out unawaited
      if (family === 0 || (family === 6) !== leg.local!.address.includes(':')) {
        logger?.info({ call: call.key, realm: leg.realm, address }, 'far end is not an IP literal of the leg\'s family');
        return refuse(488, 'bad_address');
      }
      const codec = codecOf(sdp, info.index, info.formats);
      const remote: RemoteSpec = {
        address,
        rtpPort: info.port,
        ...(info.rtcp !== undefined && !mux && info.rtcp.port > 0 ? { rtcpPort: info.rtcp.port } : {}),
        rtcpMux: mux,
        ...(codec ? { codec: codec.codec, clockRate: codec.clockRate } : {}),
        ...(srtp ? { srtp } : {}),
      };
      send(call, 'update', engine.update(call.sessionId, leg.index, remote));
      leg.remote = remote;
    }
    send(call, 'direction', engine.direction(call.sessionId, leg.index, dir));
    return OK;
  }

  /** Rewrites the SDP for `to`'s leg and puts it into the message; the leg's o= state advances. */
  function emit(msg: SipMessage, sdp: Sdp, location: SdpLocation, to: Leg, targets: (MediaTarget | undefined)[], call: Call): MediaVerdict {
    const own = new Set([call.legs.external.local!.advertise, call.legs.internal.local!.advertise]);
    const theirs = [...addressesOf(sdp)].filter((a) => !own.has(a));
    const clean = scrubSdp(sdp, theirs);
    const r = rewriteSdp(clean, { address: to.local!.advertise, leg: to.origin, stripIce: true, media: targets });
    if (!r.ok) {
      logger?.warn({ call: call.key, reason: r.reason, detail: r.detail }, 'SDP rewrite failed');
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

  function decide(ctx: MediaContext, sdp: Sdp) {
    const infos = mediaInfos(sdp);
    const keys = infos.map(usableCrypto);
    const offered = infos.map((m, i) => ({ proto: m.proto, port: m.port, crypto: keys[i] !== undefined }));
    return { infos, keys, decision: decideOffer(offered, policyOf(ctx.from, ctx.trunk), policyOf(ctx.to, ctx.trunk)) };
  }

  function onOffer(call: Call, ctx: MediaContext, sdp: Sdp, location: SdpLocation): MediaVerdict {
    const from = call.legs[ctx.from];
    const to = call.legs[ctx.to];
    const { infos, keys, decision } = decide(ctx, sdp);
    if (!decision.ok) {
      // a crypto line that is there but unusable is the reason worth logging
      const sdes = infos[decision.index]?.crypto[0];
      const why = sdes !== undefined && keys[decision.index] === undefined ? parseCrypto(sdes.value) : undefined;
      logger?.info({ call: call.key, reason: decision.reason, detail: decision.detail, sdes: why && !why.ok ? why.reason : undefined }, 'offer refused by SRTP policy');
      return refuse(488, decision.reason);
    }
    if (!call.allocated) return refuse(503, 'no_session');
    const primary = decision.media.findIndex((d) => d.kind === 'relay');

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
      const set = setRemote(call, from, info, sdp, srtp, offererMux);
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

  function onAnswer(call: Call, ctx: MediaContext, sdp: Sdp, location: SdpLocation, o: Offer): MediaVerdict {
    const answerer = call.legs[ctx.from];
    const offerer = call.legs[ctx.to];
    const infos = mediaInfos(sdp);
    if (infos.length !== o.count) {
      logger?.info({ call: call.key, offered: o.count, answered: infos.length }, 'answer with a different number of m= lines');
      return refuse(488, 'answer_mismatch');
    }
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
        logger?.info({ call: call.key, reason: check.reason, detail: check.detail }, 'answer refused by SRTP policy');
        return refuse(488, check.reason);
      }
      rejected = check.rejected;
      const srtp: RemoteSpec['srtp'] = check.srtp && theirs && ours
        ? { rx: { suite: theirs.suite.name, key: rawKey(theirs) }, tx: { suite: ours.suite.name, key: rawKey(ours) } }
        : undefined;
      const set = setRemote(call, answerer, info, sdp, srtp, o.presentedMux && info.rtcpMux);
      if (!set.ok) return set;
      // the answerer refused the stream: the offerer's side goes quiet too
      if (rejected) send(call, 'direction', engine.direction(call.sessionId, offerer.index, 'inactive'));
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
  function rollback(call: Call, o: Offer): void {
    call.offer = o.previous;
    const leg = call.legs[o.offerer];
    if (o.previousRemote !== undefined && call.allocated && !call.ended) {
      send(call, 'update', engine.update(call.sessionId, leg.index, o.previousRemote));
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

  type Found = ReturnType<typeof findSdp>;

  /** Whether this body needs the call's relay session (an offer or answer to rewrite). */
  function needsSession(call: Call, ctx: MediaContext, found: Found): boolean {
    return found.kind === 'sdp' && ctx.status < 300 && classify(call, ctx) !== 'strip';
  }

  /** Everything but the allocation is synchronous: the rewritten body is ready when this returns. */
  function handle(call: Call, ctx: MediaContext, found: Found): MediaVerdict {
    if (found.kind === 'none') return OK;
    if (call.ended || closed) {
      if (ctx.status === 0 && ctx.method !== 'ACK') return refuse(503, 'call_ended');
      ctx.msg.setBody(Buffer.alloc(0));
      return OK;
    }
    const o = call.offer;
    if (ctx.status >= 300) {
      // a failure answering an offer: the offer is void; an SDP in it (488 with capabilities) must not cross
      if (o && !o.answered && o.offerer === ctx.to && !o.inResponse && o.method === ctx.method) rollback(call, o);
      ctx.msg.setBody(Buffer.alloc(0));
      return OK;
    }
    if (found.kind === 'bad') {
      logger?.info({ call: call.key, reason: found.reason, detail: found.detail, method: ctx.method, status: ctx.status }, 'unreadable SDP');
      return refuse(488, `sdp_${found.reason}`);
    }
    const kind = classify(call, ctx);
    if (kind === 'strip') {
      logger?.debug({ call: call.key, method: ctx.method, status: ctx.status }, 'SDP outside any offer/answer exchange removed');
      ctx.msg.setBody(Buffer.alloc(0));
      return OK;
    }
    if (kind === 'offer') return onOffer(call, ctx, found.sdp, found.location);
    if (!call.allocated) return refuse(503, 'no_session');
    const v = onAnswer(call, ctx, found.sdp, found.location, o!);
    if (!v.ok && ctx.method === 'ACK') {
      // an ACK cannot be refused: the call is up without agreed media, so it ends (BYE both ways)
      fireEnd(call.key, `answer_refused_${v.reason}`);
    }
    return v;
  }

  /** Runs `job` after whatever the call is waiting for, keeping the call's bodies in order. */
  function queue(call: Call, job: () => MediaVerdict | Promise<MediaVerdict>): Promise<MediaVerdict> {
    const run = (call.pending ?? Promise.resolve()).then(job);
    const tail = run.catch(() => undefined);
    call.pending = tail;
    void tail.then(() => {
      if (call.pending === tail) call.pending = undefined;
    });
    return run;
  }

  function callFor(key: string): Call | undefined {
    let call = calls.get(key);
    if (call) return call;
    if (tombstones.has(key) || closed) return undefined;
    call = { key, sessionId: key, legs: { external: newLeg('external'), internal: newLeg('internal') }, allocated: false, ended: false, pending: undefined, offer: undefined };
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
    const free = async (): Promise<void> => {
      if (!call.allocated) return;
      call.allocated = false;
      bySession.delete(call.sessionId);
      const r = await engine.delete(call.sessionId);
      opts.onSessionEnd?.(key, { reason: 'call_ended', stats: r.ok ? r.value : undefined });
    };
    (call.pending ?? Promise.resolve()).then(free).catch((err: unknown) => {
      logger?.error({ call: key, err: err instanceof Error ? err.message : String(err) }, 'media delete failed');
    });
  }

  refill();

  return {
    process(ctx) {
      // nothing to do for a body that is not SDP: no state, no allocation
      if (ctx.msg.body.length === 0) return OK;
      const call = callFor(ctx.key);
      if (!call) {
        // an ended call's straggler: its SDP must not cross unanchored
        if (findSdp(ctx.msg).kind === 'none') return OK;
        // a response (a 2xx retransmitted after the BYE) or an ACK still goes through, without its SDP:
        // refusing a response would make the core end a call that is already over
        if (ctx.status !== 0 || ctx.method === 'ACK') {
          ctx.msg.setBody(Buffer.alloc(0));
          return OK;
        }
        return refuse(503, 'call_ended');
      }
      if (call.pending) return queue(call, () => handle(call, ctx, findSdp(ctx.msg)));
      const found = findSdp(ctx.msg);
      if (!call.allocated && !call.ended && needsSession(call, ctx, found) && !takeSpare(call)) {
        // an offer policy refuses costs no allocation
        if (found.kind === 'sdp' && classify(call, ctx) === 'offer') {
          const d = decide(ctx, found.sdp).decision;
          if (!d.ok) return handle(call, ctx, found);
        }
        return queue(call, async () => {
          const a = await allocate(call);
          return a.ok ? handle(call, ctx, found) : a;
        });
      }
      return handle(call, ctx, found);
    },
    end,
    onEnd(cb) {
      endCbs.push(cb);
    },
    async close() {
      closed = true;
      const pending = [...calls.values()].map((c) => c.pending);
      calls.clear();
      await Promise.allSettled(pending);
      if (opts.ownsEngine === false) await Promise.allSettled(spares.splice(0).map((s) => engine.delete(s.id)));
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
