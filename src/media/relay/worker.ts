// A media worker: owns a slice of the port range, its sockets and sessions.
// The main thread talks to it only with control messages; packets never cross.
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { LocalEndpoint, MediaEndReason, MediaError, RemoteSpec, SrtpKey } from '../engine.js';
import { createPortSlice, type BoundPair } from './ports.js';
import { attach, createLeg, DROP_REASONS, flushQueued, onHold, resetLatch, sessionStats, zeroDrops, type Relay, type Remote, type Session } from './session.js';
import { createContext } from './srtp.js';
import type { ReplyValue, Request, RequestMessage, WorkerInit, WorkerLeg, WorkerMessage } from './types.js';

const port = parentPort;
if (port === null) throw new Error('media worker started outside worker_threads');
const init = workerData as WorkerInit;

const slice = createPortSlice(init.firstPort, init.pairs);
const sessions = new Map<string, Session>();
// Ids being allocated (bind is async): a second allocate of the same id must fail too.
const pending = new Set<string>();
const relay: Relay = {
  latching: init.latching,
  relatchAfterMs: init.relatchAfterMs,
  packets: new Float64Array(4),
  drops: zeroDrops(),
};

type Outcome = { ok: true; value: ReplyValue } | { ok: false; error: MediaError };
const fail = (code: MediaError['code'], message: string): Outcome => ({ ok: false, error: { code, message } });

function post(msg: WorkerMessage): void {
  port!.postMessage(msg);
}

async function allocate(id: string, legs: readonly [WorkerLeg, WorkerLeg]): Promise<Outcome> {
  if (sessions.has(id) || pending.has(id)) return fail('duplicate_session', `session ${id} exists`);
  pending.add(id);
  try {
    const p0 = await slice.take(legs[0].address);
    const p1 = p0 ? await slice.take(legs[1].address) : undefined;
    if (!p0 || !p1) {
      if (p0) slice.give(p0);
      return fail('ports_exhausted', 'no free RTP port pair');
    }
    const now = performance.now();
    const s: Session = { id, legs: [createLeg(0, legs[0].realm, p0), createLeg(1, legs[1].realm, p1)], createdMs: now, lastMs: now, closed: false };
    sessions.set(id, s);
    attach(relay, s);
    const local = (l: WorkerLeg, p: BoundPair): LocalEndpoint => ({
      realm: l.realm,
      address: l.address,
      advertise: l.advertise,
      rtpPort: p.rtpPort,
      rtcpPort: p.rtpPort + 1,
    });
    return { ok: true, value: [local(legs[0], p0), local(legs[1], p1)] };
  } finally {
    pending.delete(id);
  }
}

function update(id: string, legIndex: 0 | 1, r: RemoteSpec): Outcome {
  const s = sessions.get(id);
  if (!s) return fail('unknown_session', `no session ${id}`);
  const leg = s.legs[legIndex];
  const family = isIP(r.address);
  const ourFamily = leg.pair.rtp.address().family === 'IPv6' ? 6 : 4;
  if (family === 0) return fail('bad_request', `remote address ${r.address} is not an IP literal`);
  if (family !== ourFamily) return fail('bad_request', `remote ${r.address} is IPv${family}, leg ${legIndex} is IPv${ourFamily}`);
  if (!validPort(r.rtpPort) || (r.rtcpPort !== undefined && !validPort(r.rtcpPort))) return fail('bad_request', 'remote port out of range');
  let rx = null;
  let tx = null;
  if (r.srtp) {
    if (!createContext) return fail('srtp_unsupported', 'SRTP is not available in this build');
    try {
      rx = createContext(r.srtp.rx);
      tx = createContext(r.srtp.tx);
    } catch (e) {
      return fail('bad_request', `bad SRTP key: ${(e as Error).message}`);
    }
  }
  const remote: Remote = {
    address: r.address,
    rtpPort: r.rtpPort,
    rtcpPort: r.rtcpMux ? r.rtpPort : (r.rtcpPort ?? r.rtpPort + 1),
    rtcpMux: r.rtcpMux,
    clockRate: r.clockRate ?? 8000,
    codec: r.codec,
  };
  // A re-INVITE that keeps address and keys keeps the latch and the SRTP
  // contexts (with their ROC and replay state); NAT'd peers would otherwise be
  // cut off until they pass the signaled check again.
  const keys = r.srtp ? keyId(r.srtp.rx) + '/' + keyId(r.srtp.tx) : '';
  const same = leg.remote !== undefined && sameRemote(leg.remote, remote) && leg.keys === keys;
  leg.remote = remote;
  if (!same) {
    resetLatch(leg);
    leg.rx = rx;
    leg.tx = tx;
    leg.keys = keys;
  }
  return { ok: true, value: undefined };
}

function keyId(k: SrtpKey): string {
  return k.suite + ':' + Buffer.from(k.key).toString('base64');
}
function sameRemote(a: Remote, b: Remote): boolean {
  return a.address === b.address && a.rtpPort === b.rtpPort && a.rtcpPort === b.rtcpPort && a.rtcpMux === b.rtcpMux;
}
function validPort(p: number): boolean {
  return Number.isInteger(p) && p > 0 && p < 65536;
}

function remove(id: string): Session | undefined {
  const s = sessions.get(id);
  if (!s) return undefined;
  sessions.delete(id);
  s.closed = true;
  for (const leg of s.legs) slice.give(leg.pair);
  return s;
}

async function handle(req: Request): Promise<Outcome> {
  switch (req.op) {
    case 'allocate':
      return allocate(req.id, req.legs);
    case 'update':
      return update(req.id, req.leg, req.remote);
    case 'direction': {
      const s = sessions.get(req.id);
      if (!s) return fail('unknown_session', `no session ${req.id}`);
      s.legs[req.leg].direction = req.direction;
      return { ok: true, value: undefined };
    }
    case 'stats': {
      const s = sessions.get(req.id);
      if (!s) return fail('unknown_session', `no session ${req.id}`);
      return { ok: true, value: sessionStats(s, performance.now()) };
    }
    case 'delete': {
      const s = remove(req.id);
      if (!s) return fail('unknown_session', `no session ${req.id}`);
      return { ok: true, value: sessionStats(s, performance.now()) };
    }
    case 'close':
      for (const id of [...sessions.keys()]) remove(id);
      clearInterval(timer);
      return { ok: true, value: undefined };
  }
}

port.on('message', (m: RequestMessage) => {
  flushQueued();
  handle(m.req).then(
    (o) => {
      post({ type: 'reply', seq: m.seq, ...o, freePairs: slice.free() } as WorkerMessage);
      if (m.req.op === 'close') port.close();
    },
    (e: unknown) => post({ type: 'reply', seq: m.seq, ok: false, error: { code: 'engine_failure', message: String(e) }, freePairs: slice.free() }),
  );
});

// Timeouts and the counter push share one timer: per-session timers would cost
// a timer object per call for no better precision than the tick.
function tick(): void {
  const now = performance.now();
  for (const s of sessions.values()) {
    const hold = onHold(s);
    if (now - s.lastMs < (hold ? init.holdTimeoutMs : init.timeoutMs)) continue;
    const reason: MediaEndReason = hold ? 'hold_timeout' : 'media_timeout';
    remove(s.id);
    post({ type: 'ended', id: s.id, reason, stats: sessionStats(s, now), freePairs: slice.free() });
  }
  const p = relay.packets;
  const packets: Record<string, number> = {};
  if (p[0]) packets['in:external'] = p[0];
  if (p[1]) packets['in:internal'] = p[1];
  if (p[2]) packets['out:external'] = p[2];
  if (p[3]) packets['out:internal'] = p[3];
  p.fill(0);
  const drops: Record<string, number> = {};
  for (const r of DROP_REASONS) {
    if (relay.drops[r]) drops[r] = relay.drops[r];
    relay.drops[r] = 0;
  }
  post({ type: 'tick', counters: { packets, drops }, freePairs: slice.free(), sessions: sessions.size });
}
const timer = setInterval(tick, init.tickMs);
