// The edge security pipeline: every packet and every request from the external
// realm passes here before the core creates any transaction, dialog, media port or
// store entry (DESIGN.md invariants 2–4). Filters run cheapest first; each either
// has no objection or ends the matter with a reject (answered) or a drop (silence).
//
//   prefilter (raw packet):  ban list → per-source packet bucket
//   check (parsed request):  ban list → sanity → INVITE/REGISTER buckets → scanner
//                            → trunk by address/TLS → digest (if no trunk)
//                            → INVITE only: overload guard → destination → admission
//
// In-dialog requests (To tag) stop after trunk identification: the core matches
// them to a dialog or refuses them, and a re-INVITE is not a new call.

import { randomBytes } from 'node:crypto';
import type { PalisadeConfig } from '../config/schema.js';
import type { SipMessage } from '../sip/message.js';
import type { Ban } from '../state/types.js';
import { createSampledLog } from '../observability/logger.js';
import { createNonceManager } from './digest/index.js';
import { createAdmission, type Admission } from './admission.js';
import { createDigestAuth, type DigestAuth } from './auth.js';
import { createBanManager, type BanManager } from './bans.js';
import { Take, createRateTable, type RateTable } from './bucket.js';
import { createDestinationPolicy, normalizeNumber, type DestinationPolicy } from './destination.js';
import { createLagSensor } from './overload.js';
import { checkSanity } from './sanity.js';
import { createScannerDetector, type ScannerDetector } from './scanner.js';
import { createTrunkTable, type TrunkInfo, type TrunkTable } from './trunks.js';
import { createWindowCounter, type WindowCounter } from './window.js';
import { ACCEPT, drop, reject, type Accept, type Drop, type PacketSource, type Reject, type SecurityDeps, type Verdict } from './types.js';

export interface SecurityPipeline {
  /** Before parsing: bans and the per-source packet bucket. O(1), allocation-free when accepting. */
  prefilter(source: PacketSource, bytes: number): Verdict;
  /** A parsed request (responses pass) from the external realm, before any state exists. */
  check(msg: SipMessage, source: PacketSource): Verdict | Promise<Verdict>;
  /** The parse failed: reject 400 (answer it if the parser says it can be) or drop; counts towards a ban. */
  malformed(source: PacketSource): Verdict;
  /** A TCP/TLS connection from this address was just accepted: false closes it (banned). */
  acceptConnection(address: string): boolean;
  ban(address: string, reason?: string, ttlMs?: number): Promise<Ban>;
  unban(address: string): Promise<boolean>;
  listBans(): Ban[];
  /** A call admitted by check (verdict.trunk) ended; same effect as verdict.release(). */
  callEnded(trunk: string | undefined): void;
  /** The header naming the trunk towards the softswitch (security.identityHeader). */
  readonly identityHeader: string;
  /** Applies a new configuration: trunks, limits, rules. Bans and call counts stay. */
  reload(config: PalisadeConfig): void;
  close(): void;
}

/** Everything derived from one configuration; swapped whole on reload. */
interface Built {
  config: PalisadeConfig;
  trunks: TrunkTable;
  packets: RateTable;
  invites: RateTable;
  registers: RateTable;
  scanner: ScannerDetector;
  auth: DigestAuth;
  malformed: WindowCounter;
  policies: Map<string, DestinationPolicy>;
  defaultPolicy: DestinationPolicy;
  overRate: Verdict;
  exempt: Set<string>;
}

const DROP_BANNED: Drop = drop('banned');
const DROP_FLOOD: Drop = drop('flood');
const DROP_SCANNER: Drop = drop('scanner');
const DROP_AUTH_BANNED: Drop = drop('auth_failures');
const DROP_MALFORMED: Drop = drop('malformed');
const REJECT_MALFORMED: Reject = reject(400, 'malformed');
const REJECT_DESTINATION: Reject = reject(403, 'destination_denied');

export function createSecurityPipeline(initial: PalisadeConfig, deps: SecurityDeps): SecurityPipeline {
  const now = deps.now ?? Date.now;
  const { store, metrics, logger } = deps;
  const instance = deps.instance ?? initial.node.name;
  const sensor = deps.lag === undefined ? createLagSensor() : undefined;
  const lag = deps.lag ?? sensor!.read;
  // Random per process when not configured: fine for one instance; a fleet needs the shared secret.
  const randomSecret = randomBytes(32);
  const bans: BanManager = createBanManager({ store, metrics, logger, now, instance });
  // Mutable so a reload changes limits without losing the calls counted so far.
  const admissionOptions = { store, metrics, lag, maxCalls: 0, maxLagMs: 0, retryAfterS: 5 };
  const setAdmission = (c: PalisadeConfig): void => {
    admissionOptions.maxCalls = c.security.admission.maxCalls;
    admissionOptions.maxLagMs = c.security.admission.maxEventLoopLagMs;
    admissionOptions.retryAfterS = c.security.admission.retryAfterS;
  };
  setAdmission(initial);
  const admission: Admission = createAdmission(admissionOptions);
  const logSampled = createSampledLog(logger, initial.log.dropSampleIntervalMs, now);

  // Counter children for the per-packet reasons: a labelled inc() would hash labels every time.
  const droppedBanned = metrics.securityDrops.labels({ reason: 'banned' });
  const droppedFlood = metrics.securityDrops.labels({ reason: 'flood' });

  function build(config: PalisadeConfig): Built {
    const s = config.security;
    const trunks = createTrunkTable(config);
    const table = (r: { rate: number; burst: number }, withTrunkLimits: boolean): RateTable =>
      createRateTable({
        rate: r.rate,
        burst: r.burst,
        banAfterExcess: s.flood.banAfterExcess,
        banWindowMs: s.flood.banWindowMs,
        maxEntries: s.flood.maxSources,
        now,
        ...(withTrunkLimits ? { limitsFor: (a: string) => trunks.packetLimits(a) } : {}),
      });
    const nonces = createNonceManager({
      secret: s.auth.nonceSecret ?? randomSecret,
      previousSecrets: s.auth.previousNonceSecrets,
      ttlMs: s.auth.nonceTtlMs,
      now,
    });
    const policies = new Map<string, DestinationPolicy>();
    for (const t of config.trunks) policies.set(t.id, createDestinationPolicy(config, t));
    return {
      config,
      trunks,
      packets: table(s.flood.packets, true),
      invites: table(s.flood.invite, false),
      registers: table(s.flood.register, false),
      scanner: createScannerDetector({ ...s.scanner, maxSources: s.flood.maxSources, now }),
      auth: createDigestAuth({
        realm: s.auth.realm,
        algorithms: s.auth.algorithms,
        nonces,
        maxFailures: s.auth.maxFailures,
        failureWindowMs: s.auth.failureWindowMs,
        banTtlMs: s.bans.authTtlMs,
        store,
        metrics,
        logger,
        bans,
        now,
      }),
      malformed: createWindowCounter(s.malformed.windowMs, s.flood.maxSources, now),
      policies,
      defaultPolicy: createDestinationPolicy(config, undefined),
      overRate: s.flood.action === 'reply' ? reject(503, 'flood', [['Retry-After', String(s.flood.retryAfterS)]]) : DROP_FLOOD,
      exempt: new Set(['ACK', 'CANCEL', ...s.auth.exemptMethods]),
    };
  }

  let b = build(initial);

  // Housekeeping gauges; the timer never keeps the process alive.
  metrics.storeUp.set(store.up() ? 1 : 0);
  bans.refreshGauge();
  const timer = setInterval(() => {
    metrics.storeUp.set(store.up() ? 1 : 0);
    bans.refreshGauge();
  }, 5000);
  timer.unref();

  // The sampler dedupes per (reason, source) but still costs a key string and a fields object per
  // call; under a flood of banned or over-rate packets, stop asking it after a few calls per interval.
  let hotWindow = 0;
  let hotCalls = 0;
  function hotGate(): boolean {
    const t = now();
    if (t - hotWindow >= b.config.log.dropSampleIntervalMs) {
      hotWindow = t;
      hotCalls = 0;
    }
    return ++hotCalls <= 100;
  }

  /** Counts a refusal and samples a log line for it; returns it for tail calls. */
  function refuse<V extends Reject | Drop>(v: V, address: string, msg?: SipMessage, trunk?: string): V {
    if (v.action === 'drop') {
      if (v === DROP_BANNED || v === DROP_FLOOD) {
        (v === DROP_BANNED ? droppedBanned : droppedFlood).inc();
        if (!hotGate()) return v;
      } else {
        metrics.securityDrops.inc({ reason: v.reason });
      }
    } else {
      metrics.securityRejects.inc({ reason: v.reason, code: String(v.code) });
    }
    logSampled(v.reason, address, { source: address, action: v.action, method: msg?.method, trunk }, 'security refusal');
    return v;
  }

  function overRate(address: string, take: Take, msg?: SipMessage): Verdict {
    if (take === Take.ok) return ACCEPT;
    if (take === Take.ban) {
      bans.autoBan(address, 'flood', b.config.security.bans.floodTtlMs, { detail: msg === undefined ? 'packets' : msg.method });
      return refuse(DROP_FLOOD, address, msg);
    }
    // Never answer an ACK (RFC 3261 §17.2.1: it gets no response).
    return refuse(msg?.method === 'ACK' ? DROP_FLOOD : b.overRate as Reject | Drop, address, msg);
  }

  function accepted(trunk: TrunkInfo | undefined, username?: string, release?: () => void): Accept {
    if (trunk === undefined) return ACCEPT;
    return { action: 'accept', trunk: trunk.id, ...(username !== undefined ? { username } : {}), ...(release !== undefined ? { release } : {}) };
  }

  /** INVITE only: overload guard → destination → admission (cheap to dear, and no slot taken for a refused number). */
  async function admitInvite(msg: SipMessage, address: string, trunk: TrunkInfo | undefined, username?: string): Promise<Verdict> {
    const pre = admission.precheck();
    if (pre !== undefined) return refuse(pre, address, msg, trunk?.id);
    const policy = (trunk === undefined ? undefined : b.policies.get(trunk.id)) ?? b.defaultPolicy;
    const user = msg.requestUri()?.user;
    if (user !== undefined) {
      const n = normalizeNumber(user, policy.dialplan);
      if (n !== undefined) {
        const d = policy.decide(n.number, n.e164);
        if (!d.allowed) {
          logSampled('destination_denied', address, { source: address, trunk: trunk?.id, number: n.number, rule: d.rule, prefix: d.prefix }, 'destination denied');
          metrics.securityRejects.inc({ reason: 'destination_denied', code: '403' });
          return REJECT_DESTINATION;
        }
      }
    }
    const r = await admission.admit(trunk?.id, trunk?.config.limits);
    if ('action' in r) return refuse(r, address, msg, trunk?.id);
    return accepted(trunk, username, r.release);
  }

  async function authenticate(msg: SipMessage, address: string): Promise<Verdict> {
    let out;
    try {
      out = await b.auth.authenticate(msg, address, b.trunks);
    } catch (err) {
      // Never let a hostile request turn into an unhandled rejection; silence is the safe answer.
      logger.error({ event: 'auth_error', source: address, err: String(err) }, 'authentication error');
      return refuse(drop('auth_error'), address, msg);
    }
    if (out.result === 'banned') return refuse(DROP_AUTH_BANNED, address, msg);
    if (out.result === 'challenge') return refuse(out.verdict, address, msg);
    b.scanner.trusted(address);
    if (msg.method === 'INVITE') return admitInvite(msg, address, out.trunk, out.username);
    return accepted(out.trunk, out.username);
  }

  return {
    get identityHeader() {
      return b.config.security.identityHeader;
    },

    prefilter(source, _bytes) {
      // The softswitch side is trusted: rate-limiting it would only hurt our own calls.
      if (source.realm !== 'external') return ACCEPT;
      const address = source.remoteAddress;
      if (bans.isBanned(address, now())) return refuse(DROP_BANNED, address);
      const take = b.packets.take(address);
      return take === Take.ok ? ACCEPT : overRate(address, take);
    },

    check(msg, source) {
      if (source.realm !== 'external' || msg.kind !== 'request') return ACCEPT;
      const address = source.remoteAddress;
      // Again: a ban made since this packet's prefilter (by an earlier message) must hold.
      if (bans.isBanned(address, now())) return refuse(DROP_BANNED, address, msg);
      const insane = checkSanity(msg);
      if (insane !== undefined) return refuse(msg.method === 'ACK' ? drop(insane.reason) : insane, address, msg);

      const method = msg.method;
      // A trunk identified by its address is held to its own limits (limits.cps, fleet-wide,
      // and its packet rate); the per-source INVITE/REGISTER buckets are for everyone else —
      // a carrier sending 100 calls a second from one address is no flood.
      const id = b.trunks.identify(source);
      if (id === undefined && (method === 'INVITE' || method === 'REGISTER')) {
        const take = (method === 'INVITE' ? b.invites : b.registers).take(address);
        if (take !== Take.ok) return overRate(address, take, msg);
      }

      const inDialog = msg.to()?.tag !== undefined;
      if (b.config.security.scanner.enabled) {
        const ua = b.scanner.userAgent(msg);
        if (ua !== undefined) {
          bans.autoBan(address, 'scanner', b.config.security.bans.scannerTtlMs, { detail: ua });
          return refuse(DROP_SCANNER, address, msg);
        }
        if (!inDialog && !msg.has('authorization') && !msg.has('proxy-authorization') && b.scanner.probe(address, msg)) {
          bans.autoBan(address, 'scanner', b.config.security.bans.scannerTtlMs, { detail: 'distinct users' });
          return refuse(DROP_SCANNER, address, msg);
        }
      }

      if (id !== undefined) metrics.authTotal.inc({ trunk: id.trunk.id, result: id.by });
      if (inDialog || method === 'ACK' || method === 'CANCEL') return accepted(id?.trunk);
      // A keep-alive ping to the SBC itself (no user part) is answered by Palisade and
      // never relayed: trunks and monitors may ping without credentials. Bans, floods
      // and scanner fingerprints above still apply.
      if (method === 'OPTIONS' && msg.requestUri()?.user === undefined) return accepted(id?.trunk);
      if (id !== undefined) return method === 'INVITE' ? admitInvite(msg, address, id.trunk) : accepted(id.trunk);
      if (b.exempt.has(method)) return ACCEPT;
      return authenticate(msg, address);
    },

    malformed(source) {
      if (source.realm !== 'external') return b.config.sip.malformed === 'drop' ? DROP_MALFORMED : REJECT_MALFORMED;
      const address = source.remoteAddress;
      if (bans.isBanned(address, now())) return refuse(DROP_BANNED, address);
      const n = b.malformed.incr(address);
      if (n >= b.config.security.malformed.banAfter) {
        bans.autoBan(address, 'malformed', b.config.security.bans.malformedTtlMs, { detail: `${n} malformed packets` });
        return refuse(DROP_MALFORMED, address);
      }
      return refuse(b.config.sip.malformed === 'drop' ? DROP_MALFORMED : REJECT_MALFORMED, address);
    },

    acceptConnection(address) {
      if (!bans.isBanned(address, now())) return true;
      refuse(drop('banned_connection'), address);
      return false;
    },

    ban(address, reason = 'manual', ttlMs) {
      return bans.ban(address, reason, ttlMs ?? b.config.security.bans.manualTtlMs);
    },
    unban: (address) => bans.unban(address),
    listBans: () => bans.list(),
    callEnded: (trunk) => admission.callEnded(trunk),

    reload(config) {
      b = build(config);
      setAdmission(config);
    },

    close() {
      clearInterval(timer);
      sensor?.stop();
    },
  };
}
