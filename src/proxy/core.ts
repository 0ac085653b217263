// The proxy core: relays requests and responses between the external realm and the
// internal realm with topology hiding. Towards each side Palisade's Via is the only
// Via, its Contact the only contact, Record-Route and Route are ours to manage, and
// the Call-ID is replaced; what must come back (the other side's Vias, its Contact,
// its route set, its Call-ID) is kept in transaction and dialog state, or, for
// registrations, sealed into the Contact we hand the registrar.
import { randomHex } from './random.js';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { PalisadeConfig, RealmName, Transport } from '../config/schema.js';
import { countMessage, statusClass, type Metrics } from '../observability/metrics.js';
import { buildResponse, formatNameAddr, parseMessage, parseNameAddr, parseUri, type SipMessage, type SipUri } from '../sip/index.js';
import type { TransportManager } from '../transport/index.js';
import type { Destination, ListenerInfo, Source } from '../transport/types.js';
import { createDialogTable, legOf, type Dialog, type Flow, type Leg } from './dialogs.js';
import { createEndpoints, flowTo, hostPort, type Endpoints } from './endpoints.js';
import type { HeaderPolicy } from './headers-policy.js';
import { maskIdentity, splitTag, withTag } from './identity.js';
import { responseDestination, stampReceived } from './respond.js';
import type { Pool, PoolTarget } from './route/pool.js';
import type { SipResolver } from './route/resolve.js';
import type { Hop, UriTarget } from './route/types.js';
import { createTrunkTable, type Trunk } from './route/trunks.js';
import { mapReplaces, rewriteReferredBy, rewriteReferTo, type CallIdMap, type OurAddress } from './transfer.js';
import type { Sealer } from './seal.js';
import { carriesBody, type MediaHooks } from './media-hooks.js';
import { clientKey, createTransactionLayer, hasMagicCookie, legacyServerKey, serverKey, type ClientTransaction, type SendTarget, type ServerTransaction } from './transaction/index.js';

export interface ProxyDeps {
  config: PalisadeConfig;
  logger: Logger;
  metrics: Metrics;
  transports: Pick<TransportManager, 'send' | 'listeners'>;
  isSelf: (host: string) => boolean;
  sealer: Sealer;
  headerPolicy: HeaderPolicy;
  pool: Pool;
  resolver: SipResolver;
  /** Answers a carrier's challenge with a trunk's credentials; undefined when it cannot. */
  answerChallenge?: (challenges: string[], req: { method: string; uri: string; body: Buffer }, cred: { username: string; password?: string; realm?: string }) => string | undefined;
  now?: () => number;
  /** Anchors media on the relay by rewriting SDP; absent, bodies cross unchanged. */
  media?: MediaHooks;
}

/** What the security pipeline learned about a request it admitted. */
export interface Admitted {
  /** the trunk the caller belongs to; named to the softswitch in security.identityHeader */
  readonly trunk?: string;
  /** frees the call's admission slot; called once when the call ends or fails */
  readonly release?: () => void;
}

export interface ProxyCore {
  onRequest(req: SipMessage, source: Source, receivedAt: bigint, admitted?: Admitted): void;
  /** A retransmission of a request whose server transaction exists: answered or absorbed here. */
  absorbRetransmission(req: SipMessage): boolean;
  onResponse(res: SipMessage, raw: Buffer, source: Source): void;
  /** The transport could not deliver to `dest` (connect failed, timed out, closed). */
  onSendFailure(dest: Destination): void;
  /** Sends an OPTIONS to a softswitch target; resolves true on any answer but 503. */
  probe(target: PoolTarget, signal: AbortSignal): Promise<boolean>;
  sizes(): { serverTransactions: number; clientTransactions: number; dialogs: number; pending: number };
  stop(): void;
}

type Outcome = 'answered' | 'busy' | 'cancelled' | 'failed' | 'timeout' | 'no_route';

/** One relayed request waiting for its answers. */
interface Pending {
  readonly key: string;
  readonly method: string;
  readonly fromRealm: RealmName;
  readonly toRealm: RealmName;
  readonly source: Source;
  readonly server: ServerTransaction | undefined;
  readonly serverKey: string;
  /** The sender's Via lines, stamped with received/rport, restored on every response. */
  readonly origVias: string[];
  /**
   * The request as it goes out; re-edited for failover and authentication retries.
   * Replaced by RELEASED at the final response (see release()): transactions linger for
   * their RFC timers, and this view is the heaviest thing they would keep alive.
   */
  out: SipMessage;
  /** CSeq of the request as sent, kept past release() for answers we build ourselves. */
  sentCseq: { seq: number; method: string } | undefined;
  readonly callIdFrom: string;
  readonly callIdTo: string;
  /** From and To as the sender wrote them, restored on responses. */
  readonly origFrom: string;
  readonly origTo: string;
  readonly receivedAt: bigint;
  client: ClientTransaction | undefined;
  branch: string;
  listener: ListenerInfo;
  flow: Flow;
  /** The host name of the target, for TLS SNI and certificate checks. */
  serverName: string | undefined;
  /** Softswitch ids already tried (origination failover). */
  tried: Set<string>;
  target: PoolTarget | undefined;
  hops: Hop[];
  trunk: Trunk | undefined;
  /** The external trunk the security pipeline identified (origination). */
  admittedTrunk: string | undefined;
  authTried: boolean;
  /** Added to CSeq numbers on the way out (authentication retries). */
  cseqDelta: number;
  provisional: boolean;
  /** Any response (even 100) came back: a CANCEL may now be sent (RFC 3261 §9.1). */
  heard: boolean;
  /** A CANCEL waits for the first response before it goes out. */
  cancelWaiting: boolean;
  final: boolean;
  cancelled: boolean;
  dialog: Dialog | undefined;
  /** The call's media session key (INVITE dialogs). */
  readonly mediaKey: string | undefined;
  /** Responses waiting for their SDP to be rewritten go out in order through this chain. */
  queue: Promise<void> | undefined;
  /** Frees the admission slot of an initial INVITE (security pipeline). */
  release: (() => void) | undefined;
  /** Initial INVITE: what the dialog needs once the callee answers. */
  readonly initial: { contactFrom: string; contactTo: string; remoteTargetFrom: string; routeSetFrom: string[] } | undefined;
}

const DIALOG_CREATING = new Set(['INVITE', 'SUBSCRIBE', 'REFER']);
/** Prefix of a Replaces Call-ID we sealed for a customer (see transferEdits). */
const REPLACES_TOKEN = 'rp-';

/** What a pending request's `out` points at once released: a tiny, valid, inert message. */
const RELEASED: SipMessage = (() => {
  const r = parseMessage(
    Buffer.from(
      'OPTIONS sip:released.invalid SIP/2.0\r\nVia: SIP/2.0/UDP released.invalid;branch=z9hG4bKreleased\r\n' +
        'From: <sip:released@released.invalid>;tag=released\r\nTo: <sip:released@released.invalid>\r\n' +
        'Call-ID: released\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
      'latin1',
    ),
  );
  if (!r.ok) throw new Error('the RELEASED placeholder must parse');
  return r.message;
})();
const CONTACT_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY', 'UPDATE', 'REGISTER']);

export function createProxyCore(deps: ProxyDeps): ProxyCore {
  const { config, metrics, logger, transports, sealer, headerPolicy } = deps;
  const now = deps.now ?? Date.now;
  const ep: Endpoints = createEndpoints(transports.listeners());
  const dialogs = createDialogTable(config.proxy.dialogIdleMs);
  const byClient = new Map<string, Pending>();
  const byServer = new Map<string, Pending>();
  const trunkHeader = config.proxy.trunkHeader;
  // what RFC 3263 resolution starts from: without a transport parameter or a port the
  // resolver may consult NAPTR and SRV
  const trunkTargets = new Map<string, UriTarget>();
  const trunkTable = createTrunkTable(
    config.trunks.flatMap((t) => {
      const u = t.target ? parseUri(t.target) : undefined;
      if (!u) return [];
      const tp = u.params.get('transport')?.toLowerCase();
      const explicit: Transport | undefined = tp === 'tcp' || tp === 'tls' || tp === 'udp' ? tp : undefined;
      const host = u.host.replace(/^\[|\]$/g, '');
      const secure = u.scheme === 'sips';
      trunkTargets.set(t.id, { host, port: u.port, transport: explicit, secure });
      return [{ id: t.id, prefixes: t.prefixes, target: { host, port: u.port, transport: explicit ?? (secure ? 'tls' : 'udp'), secure } }];
    }),
  );

  const layer = createTransactionLayer({
    timers: { t1: config.proxy.timers.t1Ms, t2: config.proxy.timers.t2Ms, t4: config.proxy.timers.t4Ms, timerC: config.proxy.timers.timerCMs },
    onTerminated(side, key) {
      if (side === 'client') byClient.delete(key);
      else byServer.delete(key);
      syncGauges();
    },
  });

  function syncGauges(): void {
    const s = layer.size();
    metrics.transactionsActive.set(s.server + s.client);
    metrics.dialogsActive.set(dialogs.size());
  }

  // ---- sending -----------------------------------------------------------------

  function sendTargetFor(flow: Flow): SendTarget {
    return {
      reliable: flow.transport !== 'udp',
      send: (bytes) => {
        const ok = transports.send(flow, bytes);
        return ok;
      },
    };
  }

  function countOut(realm: RealmName, transport: Transport, kind: string): void {
    countMessage(metrics, realm, transport, 'out', kind);
  }

  function reply(req: SipMessage, source: Source, status: number, reason: string, headers?: Array<[string, string]>): void {
    stampReceived(req, source);
    const bytes = buildResponse(req, status, reason, { headers });
    if (transports.send(responseDestination(req, source, config.sip.forceRport), bytes)) countOut(source.realm, source.transport, statusClass(status));
  }

  function sourceFlow(source: Source): Flow {
    return { listenerId: source.listenerId, remoteAddress: source.remoteAddress, remotePort: source.remotePort, connectionId: source.connectionId, transport: source.transport };
  }

  function newCallId(): string {
    return randomHex(12);
  }

  function newToken(): string {
    return randomHex(8);
  }

  const other = (r: RealmName): RealmName => (r === 'external' ? 'internal' : 'external');

  // ---- requests ------------------------------------------------------------------

  function absorbRetransmission(req: SipMessage): boolean {
    const top = req.topVia();
    if (!top) return false;
    const sentBy = top.port === undefined ? top.host : `${top.host}:${top.port}`;
    return layer.serverRetransmission(txKey(req, top.branch, sentBy, req.method), req.method);
  }

  function onRequest(req: SipMessage, source: Source, receivedAt: bigint, admitted?: Admitted): void {
    const top = req.topVia();
    if (!top) return;
    const method = req.method;
    const sentBy = top.port === undefined ? top.host : `${top.host}:${top.port}`;
    const skey = txKey(req, top.branch, sentBy, method);
    if (layer.serverRetransmission(skey, method)) return;
    if (method === 'CANCEL') return onCancel(req, source, sentBy);
    const to = req.to();
    if (to?.tag !== undefined) return inDialog(req, source, skey, receivedAt);
    if (method === 'ACK') {
      metrics.proxyDrops.inc({ reason: 'stray_ack' });
      return;
    }
    const ruri = req.requestUri();
    // a ping with no user part is for the SBC (whatever host the pinger wrote): answered
    // here, never relayed — the security pipeline lets it through without credentials
    if (method === 'OPTIONS' && ruri && !ruri.user && (source.realm === 'external' || deps.isSelf(ruri.host))) {
      reply(req, source, 200, 'OK', [['Allow', ALLOW], ['Accept', 'application/sdp']]);
      return;
    }
    newRequest(req, source, skey, receivedAt, ruri, admitted);
  }

  /** RFC 3261 §17.2.3: the branch when it carries the magic cookie, else the RFC 2543 fields. */
  function txKey(req: SipMessage, branch: string | undefined, sentBy: string, method: string): string {
    if (branch !== undefined && hasMagicCookie(branch)) return serverKey(branch, sentBy, method);
    return legacyServerKey({ callId: req.callId(), cseq: req.cseq().seq, fromTag: req.from()?.tag ?? '', topVia: req.headerValues('via')[0] ?? '', method });
  }

  function checkHops(req: SipMessage, source: Source): number | undefined {
    const mf = req.maxForwards();
    if (mf <= 0) {
      reply(req, source, 483, 'Too Many Hops');
      return undefined;
    }
    for (const v of req.vias()) {
      if (ep.isOurBranch(v.branch)) {
        reply(req, source, 482, 'Loop Detected');
        return undefined;
      }
    }
    return mf;
  }

  /** Out-of-dialog request: decide where it goes, then relay. */
  function newRequest(req: SipMessage, source: Source, skey: string, receivedAt: bigint, ruri: SipUri | undefined, admitted?: Admitted): void {
    const mf = checkHops(req, source);
    if (mf === undefined) {
      admitted?.release?.();
      return;
    }
    const from = source.realm;
    if (from === 'internal' && !transferEdits(req, source, 'external', ep.anyOf('external'), undefined)) {
      admitted?.release?.();
      return;
    }
    if (from === 'external') {
      if (config.softswitches.targets.length === 0) {
        admitted?.release?.();
        return noRoute(req, source, 404, 'Not Found');
      }
      const target = deps.pool.pick();
      if (!target) {
        admitted?.release?.();
        return noRoute(req, source, 503, 'Service Unavailable');
      }
      const softswitch = { host: target.host, port: target.port ?? 5060, transport: target.transport };
      if (!transferEdits(req, source, 'internal', ep.anyOf('internal'), softswitch)) {
        admitted?.release?.();
        return;
      }
      const pending = prepare(req, source, skey, receivedAt, mf, 'internal');
      pending.release = admitted?.release;
      // the softswitch learns which trunk the call came from, in a header only we write
      if (admitted?.trunk !== undefined) pending.out.setHeader(config.security.identityHeader, admitted.trunk);
      pending.target = target;
      pending.tried.add(target.id);
      pending.admittedTrunk = admitted?.trunk;
      forward(pending, () => void routeToTarget(pending, { host: target.host, port: target.port, transport: target.transport, secure: target.transport === 'tls' }));
      return;
    }
    // from the softswitch: to a registered contact (a sealed flow), or out of a trunk
    const flowToken = ruri?.user !== undefined ? openFlow(ruri.user) : undefined;
    if (flowToken) {
      const listener = ep.byId(flowToken.l);
      if (!listener) return noRoute(req, source, 480, 'Temporarily Unavailable');
      const pending = prepare(req, source, skey, receivedAt, mf, 'external');
      pending.out.setRequestUri(flowToken.u);
      forward(pending, () => sendVia(pending, listener, flowTo(listener, flowToken.a, flowToken.p, flowToken.c)));
      return;
    }
    const headerValue = req.header(trunkHeader);
    const user = ruri?.user !== undefined ? decodeUser(ruri.user) : undefined;
    const trunk = trunkTable.select({ headerValue, ruriUser: user });
    if (!trunk) return noRoute(req, source, 404, 'Not Found');
    const pending = prepare(req, source, skey, receivedAt, mf, 'external');
    pending.trunk = trunk;
    // the Request-URI keeps the number and loses the softswitch's host
    const t = trunk.target;
    const userPart = ruri?.user !== undefined ? `${ruri.user}@` : '';
    pending.out.setRequestUri(`${t.secure ? 'sips' : 'sip'}:${userPart}${t.port === undefined ? hostPort(t.host, 0).replace(/:0$/, '') : hostPort(t.host, t.port)}`);
    forward(pending, () => void routeToTarget(pending, trunkTargets.get(trunk.id) ?? t));
  }

  /**
   * Runs `go` once the outgoing request's SDP is anchored on the relay (or at once when
   * there is none); a media refusal answers the sender instead.
   */
  function forward(p: Pending, go: () => void): void {
    const media = deps.media;
    if (!media || p.mediaKey === undefined || !carriesBody(p.out)) return go();
    const v = media.process({ key: p.mediaKey, from: p.fromRealm, to: p.toRealm, msg: p.out, method: p.method, status: 0, trunk: p.trunk?.id ?? p.dialog?.trunk ?? p.admittedTrunk });
    const settle = (r: { ok: true } | { ok: false; status: number; reason: string }) => {
      if (p.cancelled && !p.client) return;
      if (r.ok) return go();
      logger.info({ status: r.status, reason: r.reason, method: p.method }, 'media refused the offer');
      if (p.method === 'ACK') return;
      failRelay(p, r.status, r.status === 488 ? 'Not Acceptable Here' : r.status === 503 ? 'Service Unavailable' : 'Server Internal Error', 'failed');
    };
    if (v instanceof Promise) {
      v.then(settle, (err: unknown) => {
        logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'media processing failed');
        settle({ ok: false, status: 500, reason: 'media_error' });
      });
    } else settle(v);
  }

  function noRoute(req: SipMessage, source: Source, status: number, reason: string): void {
    if (req.method === 'INVITE') {
      metrics.callsTotal.inc({ direction: source.realm === 'external' ? 'origination' : 'termination', trunk: '', outcome: 'no_route' });
    }
    reply(req, source, status, reason);
  }

  /** Server transaction, 100 Trying, and the topology-hiding edits common to every relayed request. */
  function prepare(req: SipMessage, source: Source, skey: string, receivedAt: bigint, mf: number, toRealm: RealmName, dialog?: Dialog): Pending {
    stampReceived(req, source);
    const method = req.method;
    const server = method === 'ACK' ? undefined : layer.createServer({ key: skey, method, target: sendTargetFor(respFlow(req, source)) });
    if (method === 'INVITE' && server) {
      if (server.respond(100, buildResponse(req, 100, 'Trying'))) countOut(source.realm, source.transport, '1xx');
    }
    const origVias = req.headerLines('via');
    const origFrom = req.header('from') ?? '';
    const origTo = req.header('to') ?? '';
    const callIdFrom = req.callId();
    let callIdTo: string;
    let initial: Pending['initial'];
    const contactTo = dialog ? legOf(dialog, source.realm).to.contact : '';
    if (dialog) callIdTo = legOf(dialog, source.realm).to.callId;
    else callIdTo = config.topology.maskCallId[toRealm] ? newCallId() : callIdFrom;

    const fromListener = ep.byId(source.listenerId);
    if (!dialog && DIALOG_CREATING.has(method) && fromListener) {
      const token = newToken();
      const c = req.contacts()?.[0];
      initial = {
        contactFrom: ep.contact(fromListener, token),
        contactTo: '', // set when the outgoing listener is known
        remoteTargetFrom: c?.rawUri ?? req.header('from') ?? '',
        routeSetFrom: req.headerValues('record-route'),
      };
    }

    // edits: the other side sees only us
    req.removeHeader('via');
    req.removeHeader('record-route');
    req.removeHeader('route');
    req.removeHeader(trunkHeader);
    req.setHeader('Max-Forwards', String(mf - 1));
    if (callIdTo !== callIdFrom) req.setHeader('Call-ID', callIdTo);
    headerPolicy.apply(req, toRealm);

    const p: Pending = {
      key: '',
      method,
      fromRealm: source.realm,
      toRealm,
      source,
      server,
      serverKey: skey,
      origVias,
      out: req,
      callIdFrom,
      callIdTo,
      origFrom,
      origTo,
      receivedAt,
      client: undefined,
      branch: '',
      listener: undefined as unknown as ListenerInfo,
      flow: undefined as unknown as Flow,
      tried: new Set(),
      serverName: undefined,
      target: undefined,
      hops: [],
      trunk: undefined,
      admittedTrunk: undefined,
      authTried: false,
      cseqDelta: dialog ? legOf(dialog, source.realm).to.cseqOffset : 0,
      provisional: false,
      heard: false,
      cancelWaiting: false,
      final: false,
      cancelled: false,
      dialog,
      initial,
      release: undefined,
      sentCseq: undefined,
      mediaKey: dialog ? dialog.mediaKey : method === 'INVITE' && deps.media ? `m${newToken()}` : undefined,
      queue: undefined,
    };
    if (contactTo && req.has('contact')) req.setHeader('Contact', `<${contactTo}>`);
    if (dialog) {
      // the parties as the receiving side knows them, told apart by their tags
      const f = splitTag(origFrom);
      const callerSent = f.tag === dialog.callerTag;
      const fromBase = (callerSent ? dialog.callerId : dialog.calleeId)[toRealm];
      const toBase = (callerSent ? dialog.calleeId : dialog.callerId)[toRealm];
      req.setHeader('From', withTag(fromBase, f.tag));
      req.setHeader('To', withTag(toBase, splitTag(origTo).tag));
    }
    if (p.cseqDelta !== 0) {
      const c = req.cseq();
      req.setHeader('CSeq', `${c.seq + p.cseqDelta} ${c.method}`);
    }
    // only a pending INVITE can be CANCELled; other requests need no index by server key
    if (server && method === 'INVITE') byServer.set(skey, p);
    return p;
  }

  function respFlow(req: SipMessage, source: Source): Flow {
    const d = responseDestination(req, source, config.sip.forceRport);
    return { ...d, transport: source.transport };
  }

  async function routeToTarget(p: Pending, target: UriTarget): Promise<void> {
    let hops: Hop[];
    if (isIP(target.host) !== 0) {
      // a literal address needs no resolver: send in this same turn of the event loop,
      // so a CANCEL right behind the INVITE finds it already on its way
      const transport = target.transport ?? (target.secure ? 'tls' : 'udp');
      hops = [{ address: target.host, port: target.port ?? (transport === 'tls' ? 5061 : 5060), transport }];
    } else {
      try {
        hops = await deps.resolver.resolve(target);
      } catch {
        hops = [];
      }
    }
    if (p.cancelled) return;
    p.hops = hops;
    p.serverName = isIP(target.host) ? undefined : target.host;
    try {
      if (!tryNextHop(p)) failRelay(p, 503, 'Service Unavailable', 'no_route');
    } catch (err) {
      // nothing may escape an async path: an unhandled rejection would end the process
      metrics.proxyDrops.inc({ reason: 'internal_error' });
      logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'relay failed');
      failRelay(p, 500, 'Server Internal Error', 'failed');
    }
  }

  function tryNextHop(p: Pending): boolean {
    while (p.hops.length > 0) {
      const hop = p.hops.shift()!;
      const listener = ep.listenerFor(p.toRealm, hop.transport, hop.address);
      if (!listener) continue;
      const flow = flowTo(listener, hop.address, hop.port);
      sendVia(p, listener, p.serverName ? { ...flow, serverName: p.serverName } : flow);
      return true;
    }
    return false;
  }

  /** Puts our Via (and Contact) on the outgoing request and starts its client transaction. */
  function sendVia(p: Pending, listener: ListenerInfo, flow: Flow): void {
    p.listener = listener;
    p.flow = flow;
    p.branch = ep.branch();
    const via = ep.via(listener, p.branch);
    if (p.out.has('via')) p.out.replaceTopVia(via);
    else p.out.prependHeader('Via', via);
    if (!p.dialog) {
      p.out.setHeader('From', maskIdentity(p.origFrom, listener.advertise));
      p.out.setHeader('To', maskIdentity(p.origTo, listener.advertise));
    }
    if (p.initial) {
      p.initial.contactTo = ep.contact(listener, newToken());
      if (p.out.has('contact')) p.out.setHeader('Contact', `<${p.initial.contactTo}>`);
    } else if (p.method === 'REGISTER') {
      rewriteRegisterContacts(p, listener);
    } else if (!p.dialog && CONTACT_METHODS.has(p.method) && p.out.has('contact')) {
      p.out.setHeader('Contact', `<${ep.contact(listener, newToken())}>`);
    }
    const bytes = p.out.serialize();
    p.sentCseq = p.out.cseq();
    metrics.requestDuration.observe(Number(process.hrtime.bigint() - p.receivedAt) / 1e9);
    if (p.method === 'ACK') {
      if (transports.send(flow, bytes)) countOut(p.toRealm, flow.transport, 'ACK');
      return;
    }
    const key = clientKey(p.branch, p.method);
    p.key !== key && byClient.delete(p.key);
    (p as { key: string }).key = key;
    byClient.set(key, p);
    const target = sendTargetFor(flow);
    countOut(p.toRealm, flow.transport, p.method);
    p.client = layer.createClient({
      key,
      method: p.method,
      request: bytes,
      target,
      onResponse: (status) => onClientResponse(p, status),
      onTimeout: () => onClientFailure(p, 'timeout'),
      onTransportError: () => onClientFailure(p, 'transport'),
      buildAck: p.method === 'INVITE' ? (_s, raw) => buildNon2xxAck(p, raw) : undefined,
      onTimerC: p.method === 'INVITE' ? () => sendCancel(p) : undefined,
    });
    syncGauges();
  }

  // ---- registrations: the registrar stores a sealed flow, never the client's address

  interface FlowToken {
    l: string;
    a: string;
    p: number;
    c?: number;
    u: string;
  }

  function rewriteRegisterContacts(p: Pending, listener: ListenerInfo): void {
    const values = p.out.headerValues('contact');
    if (values.length === 0 || values.some((v) => v.trim() === '*')) return;
    const flow = sourceFlow(p.source);
    const out: string[] = [];
    for (const v of values) {
      const na = parseNameAddr(v);
      if (!na) continue;
      const t: FlowToken = { l: flow.listenerId, a: flow.remoteAddress, p: flow.remotePort, c: flow.connectionId, u: na.rawUri };
      const sealed = `r-${sealer.seal(JSON.stringify(t))}`;
      const params = new Map(na.params);
      out.push(formatNameAddr({ displayName: '', rawUri: ep.contact(listener, sealed), params }));
    }
    if (out.length > 0) p.out.setHeader('Contact', out.join(', '));
    else p.out.removeHeader('contact');
  }

  function openFlow(user: string): FlowToken | undefined {
    if (!user.startsWith('r-')) return undefined;
    const plain = sealer.open(user.slice(2));
    if (!plain) {
      metrics.proxyDrops.inc({ reason: 'bad_token' });
      return undefined;
    }
    try {
      const t = JSON.parse(plain.toString('utf8')) as FlowToken;
      return typeof t.l === 'string' && typeof t.a === 'string' && typeof t.p === 'number' && typeof t.u === 'string' ? t : undefined;
    } catch {
      return undefined;
    }
  }

  /** 200 to REGISTER: the registrar lists our sealed contacts; the client must see its own. */
  function restoreRegisterContacts(res: SipMessage): void {
    const values = res.headerValues('contact');
    if (values.length === 0) return;
    const out: string[] = [];
    for (const v of values) {
      const na = parseNameAddr(v);
      const user = na?.uri?.user;
      const t = user ? openFlow(user) : undefined;
      if (!na || !t) continue; // someone else's binding: not ours to reveal
      out.push(formatNameAddr({ displayName: '', rawUri: t.u, params: na.params }));
    }
    if (out.length > 0) res.setHeader('Contact', out.join(', '));
    else res.removeHeader('contact');
  }

  // ---- in-dialog requests ----------------------------------------------------------

  function inDialog(req: SipMessage, source: Source, skey: string, receivedAt: bigint): void {
    const d = dialogs.find(source.realm, req.callId());
    if (!d) {
      if (req.method === 'ACK') metrics.proxyDrops.inc({ reason: 'stray_ack' });
      else reply(req, source, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const mf = checkHops(req, source);
    if (mf === undefined) return;
    const { from, to } = legOf(d, source.realm);
    if (!transferEdits(req, source, to.realm, ep.byId(to.flow.listenerId), to.realm === 'internal' ? { host: to.flow.remoteAddress, port: to.flow.remotePort, transport: to.flow.transport } : undefined)) return;
    if (source.realm === 'external') from.flow = sourceFlow(source); // follow a NATed client's current flow
    d.lastActivity = now();
    const se = sessionExpires(req);
    if (se !== undefined) d.sessionExpiresMs = se;
    const p = prepare(req, source, skey, receivedAt, mf, to.realm, d);
    p.out.setRequestUri(to.remoteTarget);
    if (to.routeSet.length > 0) p.out.setHeader('Route', to.routeSet.join(', '));
    const seq = p.out.cseq().seq;
    if (seq > to.cseqToLeg) to.cseqToLeg = seq;
    const listener = ep.byId(to.flow.listenerId);
    if (!listener) return failRelay(p, 503, 'Service Unavailable', 'failed');
    forward(p, () => sendVia(p, listener, to.flow));
    if (req.method === 'ACK') return;
    if (req.method === 'BYE') endDialog(d, 'answered');
  }

  /**
   * Transfer headers for the receiving side (src/proxy/transfer.ts). Referred-By names
   * us there. Refer-To names us towards a customer (the INVITE it causes comes to us),
   * and the softswitch towards the softswitch (it routes the target itself, as it would
   * have from the customer's own view). A Replaces Call-ID:
   * - towards the softswitch: its own Call-ID for the dialog, found by the sender's
   *   Call-ID or by a token we handed out;
   * - in a Refer-To towards a customer: a sealed token, so that customer never learns
   *   the Call-ID another customer's dialog has (the referee only copies it into the
   *   INVITE that comes back to us);
   * - in an INVITE towards a customer: that customer's Call-ID (it must match its own
   *   dialog).
   * RFC 3891 §3: only an INVITE carries Replaces; other requests lose it. False when the
   * request was answered instead (a Replaces naming no dialog we relay, a bad Refer-To).
   */
  function transferEdits(req: SipMessage, source: Source, toRealm: RealmName, there: ListenerInfo | undefined, softswitch: OurAddress | undefined): boolean {
    const referTo = req.header('refer-to');
    let replaces = req.header('replaces');
    const referredBy = req.header('referred-by');
    if (referTo === undefined && replaces === undefined && referredBy === undefined) return true;
    if (replaces !== undefined && req.method !== 'INVITE') {
      req.removeHeader('replaces');
      replaces = undefined;
    }
    const toInternal: CallIdMap = (callId) => {
      const d = dialogs.find(source.realm, callId);
      if (d !== undefined) return legOf(d, source.realm).to.callId;
      if (!callId.startsWith(REPLACES_TOKEN)) return undefined;
      const opened = sealer.open(callId.slice(REPLACES_TOKEN.length))?.toString('utf8');
      return opened !== undefined && dialogs.find('internal', opened) !== undefined ? opened : undefined;
    };
    const toExternal: CallIdMap = (callId) => {
      const d = dialogs.find(source.realm, callId);
      return d === undefined ? undefined : legOf(d, source.realm).to.callId;
    };
    // from the softswitch to a customer: the token opens to the softswitch's own Call-ID
    const asToken: CallIdMap = (callId) =>
      source.realm === 'internal' && dialogs.find('internal', callId) !== undefined ? REPLACES_TOKEN + sealer.seal(callId) : undefined;
    const us = there === undefined ? undefined : { host: there.advertise, port: there.port, transport: there.transport };
    if (referTo !== undefined) {
      const target = toRealm === 'internal' ? (softswitch ?? us) : us;
      const e = target === undefined ? ({ ok: false, status: 503, reason: 'Service Unavailable' } as const) : rewriteReferTo(referTo, target, toRealm === 'internal' ? toInternal : asToken);
      if (!e.ok) {
        reply(req, source, e.status, e.reason);
        return false;
      }
      req.setHeader('Refer-To', e.value);
    }
    if (replaces !== undefined) {
      const mapped = mapReplaces(replaces, toRealm === 'internal' ? toInternal : toExternal);
      if (mapped === undefined) {
        reply(req, source, 481, 'Call/Transaction Does Not Exist');
        return false;
      }
      req.setHeader('Replaces', mapped);
    }
    if (referredBy !== undefined) {
      const v = us === undefined ? undefined : rewriteReferredBy(referredBy, us);
      if (v === undefined) req.removeHeader('referred-by');
      else req.setHeader('Referred-By', v);
    }
    return true;
  }

  function sessionExpires(m: SipMessage): number | undefined {
    const v = m.header('session-expires');
    if (v === undefined) return undefined;
    const n = Number.parseInt(v, 10);
    return Number.isFinite(n) && n >= 90 && n < 86_400 ? n * 1000 : undefined;
  }

  // ---- CANCEL ------------------------------------------------------------------------

  function onCancel(req: SipMessage, source: Source, sentBy: string): void {
    const top = req.topVia()!;
    const inviteKey = txKey(req, top.branch, sentBy, 'INVITE');
    const p = byServer.get(inviteKey);
    // an INVITE already answered finally is forgotten here but its transaction lives on:
    // the CANCEL matches it and has no effect (RFC 3261 §9.2), so it still gets its 200
    if (!p && !layer.findServer(inviteKey)) {
      reply(req, source, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    stampReceived(req, source);
    const cancelKey = txKey(req, top.branch, sentBy, 'CANCEL');
    const st = layer.createServer({ key: cancelKey, method: 'CANCEL', target: sendTargetFor(respFlow(req, source)) });
    if (st.respond(200, buildResponse(req, 200, 'OK'))) countOut(source.realm, source.transport, '2xx');
    if (!p || p.final) return;
    p.cancelled = true;
    if (!p.client) {
      // still resolving where to send it: answer the INVITE ourselves
      finishServer(p, 487, 'Request Terminated', 'cancelled');
      return;
    }
    sendCancel(p);
  }

  function sendCancel(p: Pending): void {
    if (!p.client || p.final) return;
    if (!p.heard) {
      // §9.1: no CANCEL before a provisional; it goes out when the first one arrives
      // (and if none ever does, Timer B ends the INVITE)
      p.cancelWaiting = true;
      return;
    }
    const c = p.out.cseq();
    const lines = [
      `CANCEL ${p.out.uri} SIP/2.0`,
      `Via: ${ep.via(p.listener, p.branch)}`,
      'Max-Forwards: 70',
      `From: ${p.out.header('from') ?? ''}`,
      `To: ${p.out.header('to') ?? ''}`,
      `Call-ID: ${p.callIdTo}`,
      `CSeq: ${c.seq} CANCEL`,
    ];
    const route = p.out.headerLines('route');
    for (const r of route) lines.push(`Route: ${r}`);
    lines.push('Content-Length: 0', '', '');
    const bytes = Buffer.from(lines.join('\r\n'), 'latin1');
    const key = clientKey(p.branch, 'CANCEL');
    if (layer.findClient(key)) return;
    countOut(p.toRealm, p.flow.transport, 'CANCEL');
    layer.createClient({ key, method: 'CANCEL', request: bytes, target: sendTargetFor(p.flow), onResponse: () => {}, onTimeout: () => {} });
    p.client.cancelSent();
  }

  function buildNon2xxAck(p: Pending, raw: Buffer): Buffer {
    // RFC 3261 §17.1.1.3: same Request-URI, Call-ID, From, CSeq number and top Via as the
    // INVITE, To from the response (with its tag), Route from the INVITE.
    const to = current?.header('to') ?? p.out.header('to') ?? '';
    void raw;
    const c = p.out.cseq();
    const lines = [
      `ACK ${p.out.uri} SIP/2.0`,
      `Via: ${ep.via(p.listener, p.branch)}`,
      'Max-Forwards: 70',
      `From: ${p.out.header('from') ?? ''}`,
      `To: ${to}`,
      `Call-ID: ${p.callIdTo}`,
      `CSeq: ${c.seq} ACK`,
    ];
    for (const r of p.out.headerLines('route')) lines.push(`Route: ${r}`);
    lines.push('Content-Length: 0', '', '');
    return Buffer.from(lines.join('\r\n'), 'latin1');
  }

  // ---- responses -------------------------------------------------------------------

  /** The response being processed, for the callbacks the transaction layer makes synchronously. */
  let current: SipMessage | undefined;

  function onResponse(res: SipMessage, raw: Buffer, source: Source): void {
    const top = res.topVia();
    const branch = top?.branch;
    if (!branch || !ep.isOurBranch(branch)) {
      metrics.proxyDrops.inc({ reason: 'stray_response' });
      return;
    }
    const key = clientKey(branch, res.cseq().method);
    current = res;
    try {
      if (!layer.clientResponse(key, res.status, raw)) metrics.proxyDrops.inc({ reason: 'stray_response' });
    } finally {
      current = undefined;
    }
    void source;
  }

  /**
   * After its final response a pending request is only needed to relay 2xx
   * retransmissions (RFC 6026 Accepted), which use its Vias, From/To and Call-IDs — not
   * the outgoing message. Dropping that keeps what lingers for Timers D, K and M small.
   */
  function release(p: Pending): void {
    p.out = RELEASED;
    p.hops = [];
  }

  function onClientResponse(p: Pending, status: number): void {
    const res = current;
    if (!res) return;
    if (p.target) deps.pool.reportSuccess(p.target.id);
    p.heard = true;
    if (p.cancelWaiting && status < 200) {
      p.cancelWaiting = false;
      sendCancel(p);
    }
    if (status === 100) return; // hop by hop: we sent our own
    if ((status === 401 || status === 407) && retryWithCredentials(p, res)) return;
    if (p.method === 'INVITE' && !p.provisional && p.target && (status === 503 || status === 408) && failover(p)) return;
    if (status < 200) p.provisional = true;

    // what the other side needs to route later, read before we rewrite it
    if (p.method === 'INVITE' || DIALOG_CREATING.has(p.method)) trackDialog(p, res, status);
    if (p.method === 'REGISTER' && status >= 200 && status < 300) restoreRegisterContacts(res);

    toSender(p, res);
    if (status >= 200) {
      if (!p.final) {
        p.final = true;
        byServer.delete(p.serverKey);
        if (p.method === 'INVITE') {
          const outcome: Outcome = status < 300 ? 'answered' : status === 486 || status === 600 ? 'busy' : status === 487 ? 'cancelled' : status === 408 ? 'timeout' : 'failed';
          if (status >= 300) {
            if (p.initial && p.dialog?.state === 'early') dropDialog(p.dialog);
            releaseOf(p);
            countCall(p, outcome);
          } else {
            countCall(p, outcome);
            // the answered call's slot now belongs to its dialog
            if (p.dialog && p.release) p.dialog.release = p.release;
            else releaseOf(p);
            p.release = undefined;
          }
        }
        // an INVITE answered without a dialog (no To tag) keeps its message: a later
        // 2xx may still create the dialog from it
        if (p.method !== 'INVITE' || status >= 300 || p.dialog) release(p);
      }
    }
  }

  /** Rewrites a response for the side that sent the request and sends it there. */
  function toSender(p: Pending, res: SipMessage): void {
    const media = deps.media;
    const failedOffer = res.status >= 300 && (p.method === 'INVITE' || p.method === 'UPDATE' || p.method === 'PRACK');
    if (media && p.mediaKey !== undefined && (p.queue !== undefined || carriesBody(res) || failedOffer)) {
      // responses of one transaction leave in order, each after its SDP is anchored
      const key = p.mediaKey;
      p.queue = (p.queue ?? Promise.resolve()).then(async () => {
        if (carriesBody(res) || failedOffer) {
          const v = await media.process({ key, from: p.toRealm, to: p.fromRealm, msg: res, method: p.method, status: res.status, trunk: p.trunk?.id ?? p.dialog?.trunk ?? p.admittedTrunk });
          // a failure response carries no answer to refuse: it always goes through
          if (!v.ok && res.status < 300) return refuseAnswer(p, res, v.status);
        }
        rewriteAndSend(p, res);
      }).catch((err: unknown) => {
        logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'media processing of a response failed');
      });
      return;
    }
    rewriteAndSend(p, res);
  }

  /** The callee's answer does not meet media policy: the caller gets an error, a 2xx callee a BYE. */
  function refuseAnswer(p: Pending, res: SipMessage, status: number): void {
    logger.info({ status: res.status, method: p.method }, 'media refused the answer');
    if (p.server && res.status < 300) {
      const d = p.dialog;
      // only a dialog still in the table has a callee to hang up (a late 2xx may reach a call already over)
      if (d && res.status >= 200 && p.initial && dialogs.find(d.caller.realm, d.caller.callId) === d) {
        sendBye(d, d.callee, 'media refused');
        dropDialog(d);
      }
      finishServer(p, status, status === 488 ? 'Not Acceptable Here' : 'Server Internal Error', 'failed');
    }
  }

  function rewriteAndSend(p: Pending, res: SipMessage): void {
    res.removeHeader('via');
    for (let i = p.origVias.length - 1; i >= 0; i--) res.prependHeader('Via', p.origVias[i]!);
    res.removeHeader('record-route');
    res.setHeader('From', p.origFrom);
    const sentTo = splitTag(p.origTo);
    res.setHeader('To', sentTo.tag !== undefined ? p.origTo : withTag(sentTo.base, res.to()?.tag));
    if (p.callIdFrom !== p.callIdTo) res.setHeader('Call-ID', p.callIdFrom);
    if (p.cseqDelta !== 0) {
      const c = res.cseq();
      res.setHeader('CSeq', `${c.seq - p.cseqDelta} ${c.method}`);
    }
    if (res.has('contact') && p.method !== 'REGISTER') {
      if (res.status >= 300 && res.status < 400) res.removeHeader('contact');
      else {
        const mine = p.dialog ? legOf(p.dialog, p.fromRealm).from.contact : p.initial?.contactFrom;
        if (mine) res.setHeader('Contact', `<${mine}>`);
        else res.removeHeader('contact');
      }
    }
    headerPolicy.apply(res, p.fromRealm);
    const bytes = res.serialize();
    if (p.server?.respond(res.status, bytes)) countOut(p.fromRealm, p.source.transport, statusClass(res.status));
  }

  function trackDialog(p: Pending, res: SipMessage, status: number): void {
    if (status < 101 || status >= 300) return;
    const toTag = res.to()?.tag;
    if (toTag === undefined) return;
    const contact = res.contacts()?.[0]?.rawUri;
    const rr = res.headerValues('record-route').reverse();
    if (p.dialog) {
      // a re-INVITE's answer may move the remote target (RFC 3261 §12.2.1.2); the 2xx
      // of an initial INVITE confirms the early dialog its 18x made
      const to = legOf(p.dialog, p.fromRealm).to;
      if (contact && status < 300) to.remoteTarget = contact;
      if (rr.length > 0 && p.initial) to.routeSet = rr;
      if (status >= 200 && p.initial) {
        p.dialog.state = 'confirmed';
        p.dialog.calleeTag = toTag;
      }
      return;
    }
    const init = p.initial;
    if (!init) return;
    const inboundListener = ep.byId(p.source.listenerId);
    if (!inboundListener) return;
    const seq = p.out.cseq().seq;
    const caller: Leg = {
      realm: p.fromRealm,
      callId: p.callIdFrom,
      remoteTarget: init.remoteTargetFrom,
      routeSet: init.routeSetFrom,
      flow: sourceFlow(p.source),
      contact: init.contactFrom,
      cseqToLeg: 0,
      cseqOffset: 0,
    };
    const callee: Leg = {
      realm: p.toRealm,
      callId: p.callIdTo,
      remoteTarget: contact ?? p.out.uri,
      routeSet: rr,
      flow: p.flow,
      contact: init.contactTo,
      cseqToLeg: seq,
      cseqOffset: p.cseqDelta,
    };
    const d: Dialog = {
      id: newToken(),
      direction: p.fromRealm === 'external' ? 'origination' : 'termination',
      trunk: p.trunk?.id,
      caller,
      callee,
      callerId: { [p.fromRealm]: splitTag(p.origFrom).base, [p.toRealm]: splitTag(p.out.header('from') ?? '').base } as Record<RealmName, string>,
      calleeId: { [p.fromRealm]: splitTag(p.origTo).base, [p.toRealm]: splitTag(p.out.header('to') ?? '').base } as Record<RealmName, string>,
      callerTag: splitTag(p.origFrom).tag ?? '',
      calleeTag: toTag,
      state: status < 200 ? 'early' : 'confirmed',
      createdAt: now(),
      lastActivity: now(),
      sessionExpiresMs: sessionExpires(res),
      call: p.method === 'INVITE',
      mediaKey: p.mediaKey,
    };
    if (!d.call) d.state = 'confirmed';
    p.dialog = d;
    dialogs.add(d);
    if (d.call) metrics.callsActive.inc({ direction: d.direction });
    syncGauges();
  }

  function releaseOf(p: Pending): void {
    const r = p.release;
    p.release = undefined;
    r?.();
    // a failed initial INVITE takes its media with it (an answered one hands it to the dialog)
    if (p.initial && p.mediaKey !== undefined && !(p.dialog && p.dialog.state === 'confirmed')) deps.media?.end(p.mediaKey);
  }

  function dropDialog(d: Dialog): void {
    if (dialogs.find(d.caller.realm, d.caller.callId) !== d) return;
    dialogs.remove(d);
    const r = d.release;
    d.release = undefined;
    r?.();
    if (d.mediaKey !== undefined) deps.media?.end(d.mediaKey);
    if (d.call) metrics.callsActive.dec({ direction: d.direction });
    syncGauges();
  }

  function endDialog(d: Dialog, _outcome: Outcome): void {
    dropDialog(d);
  }

  function countCall(p: Pending, outcome: Outcome): void {
    metrics.callsTotal.inc({ direction: p.fromRealm === 'external' ? 'origination' : 'termination', trunk: p.trunk?.id ?? '', outcome });
  }

  // ---- failures, failover, authentication ------------------------------------------------

  function onClientFailure(p: Pending, why: 'timeout' | 'transport'): void {
    if (p.final) return;
    if (p.target) deps.pool.reportFailure(p.target.id);
    if (p.method === 'INVITE' && !p.provisional && !p.cancelled && (tryNextHop(p) || failover(p))) return;
    if (why === 'timeout') failRelay(p, 408, 'Request Timeout', 'timeout');
    else failRelay(p, 503, 'Service Unavailable', 'failed');
  }

  function failRelay(p: Pending, status: number, reason: string, outcome: Outcome): void {
    if (p.final) return;
    finishServer(p, status, reason, outcome);
  }

  /** Answers the sender ourselves (no response came from the other side). */
  function finishServer(p: Pending, status: number, reason: string, outcome: Outcome): void {
    p.final = true;
    byServer.delete(p.serverKey);
    if (p.method === 'INVITE') countCall(p, outcome);
    if (p.initial && p.dialog?.state === 'early') dropDialog(p.dialog);
    releaseOf(p);
    if (!p.server) return;
    // rebuild from what the sender sent: its Vias, its Call-ID
    const lines = [`SIP/2.0 ${status} ${reason}`];
    for (const v of p.origVias) lines.push(`Via: ${v}`);
    lines.push(`From: ${p.origFrom}`);
    let to = p.origTo;
    if (!/;\s*tag=/i.test(to)) to += `;tag=${newToken()}`;
    lines.push(`To: ${to}`, `Call-ID: ${p.callIdFrom}`);
    const c = p.out === RELEASED && p.sentCseq ? p.sentCseq : p.out.cseq();
    lines.push(`CSeq: ${c.seq - p.cseqDelta} ${c.method}`, 'Content-Length: 0', '', '');
    if (p.server.respond(status, Buffer.from(lines.join('\r\n'), 'latin1'))) countOut(p.fromRealm, p.source.transport, statusClass(status));
  }

  function failover(p: Pending): boolean {
    if (p.fromRealm !== 'external' || p.cancelled) return false;
    const next = deps.pool.pick(p.tried);
    if (!next) return false;
    p.tried.add(next.id);
    p.target = next;
    p.client?.terminate();
    void routeToTarget(p, { host: next.host, port: next.port, transport: next.transport, secure: next.transport === 'tls' });
    return true;
  }

  function retryWithCredentials(p: Pending, res: SipMessage): boolean {
    if (p.authTried || !p.trunk || !deps.answerChallenge) return false;
    const trunk = config.trunks.find((t) => t.id === p.trunk!.id);
    const cred = trunk?.credentials;
    if (!cred) return false;
    const challengeHeader = res.status === 401 ? 'www-authenticate' : 'proxy-authenticate';
    const challenges = res.headerLines(challengeHeader);
    const answer = deps.answerChallenge(challenges, { method: p.method, uri: p.out.uri, body: p.out.body }, cred);
    if (!answer) return false;
    p.authTried = true;
    p.out.setHeader(res.status === 401 ? 'Authorization' : 'Proxy-Authorization', answer);
    const c = p.out.cseq();
    p.out.setHeader('CSeq', `${c.seq + 1} ${c.method}`);
    p.cseqDelta += 1;
    // the old transaction has its final; it ACKs and lingers on its own. A new one starts.
    sendVia(p, p.listener, p.flow);
    return true;
  }

  // ---- health probes and dialog expiry ----------------------------------------------------

  async function probe(target: PoolTarget, signal: AbortSignal): Promise<boolean> {
    const hops = await deps.resolver.resolve({ host: target.host, port: target.port, transport: target.transport, secure: target.transport === 'tls' });
    const hop = hops[0];
    if (!hop) return false;
    const listener = ep.listenerFor('internal', hop.transport, hop.address);
    if (!listener) return false;
    const flow = flowTo(listener, hop.address, hop.port);
    const branch = ep.branch();
    const uri = `sip:${hostPort(hop.address, hop.port)}`;
    const bytes = Buffer.from(
      [
        `OPTIONS ${uri} SIP/2.0`,
        `Via: ${ep.via(listener, branch)}`,
        'Max-Forwards: 70',
        `From: <sip:palisade@${hostPort(listener.advertise, listener.port)}>;tag=${newToken()}`,
        `To: <${uri}>`,
        `Call-ID: ${newCallId()}`,
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      'latin1',
    );
    return new Promise<boolean>((resolve) => {
      const key = clientKey(branch, 'OPTIONS');
      const tx = layer.createClient({
        key,
        method: 'OPTIONS',
        request: bytes,
        target: sendTargetFor(flow),
        onResponse: (status) => {
          if (status >= 200) resolve(status !== 503);
        },
        onTimeout: () => resolve(false),
        onTransportError: () => resolve(false),
      });
      signal.addEventListener('abort', () => {
        tx.terminate();
        resolve(false);
      });
    });
  }

  /** Ends one leg of a dialog ourselves; `why` goes into the Reason header (RFC 3326). */
  function sendBye(d: Dialog, leg: Leg, why = 'dialog timed out'): void {
    const listener = ep.byId(leg.flow.listenerId);
    if (!listener) return;
    const branch = ep.branch();
    leg.cseqToLeg += 1;
    const toCaller = leg === d.caller;
    const lines = [
      `BYE ${leg.remoteTarget} SIP/2.0`,
      `Via: ${ep.via(listener, branch)}`,
      'Max-Forwards: 70',
      `From: ${toCaller ? withTag(d.calleeId[leg.realm], d.calleeTag) : withTag(d.callerId[leg.realm], d.callerTag)}`,
      `To: ${toCaller ? withTag(d.callerId[leg.realm], d.callerTag) : withTag(d.calleeId[leg.realm], d.calleeTag)}`,
      `Call-ID: ${leg.callId}`,
      `CSeq: ${leg.cseqToLeg} BYE`,
    ];
    if (leg.routeSet.length > 0) lines.push(`Route: ${leg.routeSet.join(', ')}`);
    lines.push(`Reason: SIP;cause=408;text="${why.replace(/["\\\r\n]/g, '')}"`, 'Content-Length: 0', '', '');
    const key = clientKey(branch, 'BYE');
    countOut(leg.realm, leg.flow.transport, 'BYE');
    layer.createClient({ key, method: 'BYE', request: Buffer.from(lines.join('\r\n'), 'latin1'), target: sendTargetFor(leg.flow), onResponse: () => {}, onTimeout: () => {} });
  }

  deps.media?.onEnd((key, reason) => {
    for (const d of dialogs.all()) {
      if (d.mediaKey !== key) continue;
      logger.info({ dialog: d.id, reason }, 'media ended: BYE both ways');
      const why = reason === 'media_timeout' ? 'media timeout' : reason === 'hold_timeout' ? 'media timeout on hold' : `media ${reason.replace(/_/g, ' ')}`;
      sendBye(d, d.caller, why);
      sendBye(d, d.callee, why);
      dropDialog(d);
      return;
    }
  });

  const sweepTimer = setInterval(() => {
    for (const d of dialogs.sweep(now())) {
      logger.info({ dialog: d.id, direction: d.direction }, 'dialog idle past its limit: BYE both ways');
      sendBye(d, d.caller);
      sendBye(d, d.callee);
      if (d.call) metrics.callsActive.dec({ direction: d.direction });
      const r = d.release;
      d.release = undefined;
      r?.();
      if (d.mediaKey !== undefined) deps.media?.end(d.mediaKey);
    }
    syncGauges();
  }, Math.min(10_000, Math.max(250, Math.floor(config.proxy.dialogIdleMs / 4))));
  sweepTimer.unref();

  function onSendFailure(dest: Destination): void {
    const hit: Pending[] = [];
    for (const p of byClient.values()) {
      const f = p.flow;
      if (!p.final && f && f.listenerId === dest.listenerId && f.remoteAddress === dest.remoteAddress && f.remotePort === dest.remotePort) hit.push(p);
    }
    for (const p of hit) {
      p.client?.terminate();
      onClientFailure(p, 'transport');
    }
  }

  return {
    onRequest,
    absorbRetransmission,
    onResponse,
    onSendFailure,
    probe,
    sizes: () => {
      const s = layer.size();
      return { serverTransactions: s.server, clientTransactions: s.client, dialogs: dialogs.size(), pending: byClient.size };
    },
    stop() {
      clearInterval(sweepTimer);
      layer.stop();
      dialogs.clear();
      byClient.clear();
      byServer.clear();
      syncGauges();
    },
  };
}

export const ALLOW = 'INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, NOTIFY, SUBSCRIBE, MESSAGE, REGISTER';

function decodeUser(u: string): string {
  try {
    return decodeURIComponent(u);
  } catch {
    return u;
  }
}
