// The in-process relay as a MediaEngine: sessions are spread over worker
// threads (most free ports first); this file keeps only which worker holds
// which session.
import { isIP } from 'node:net';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Metrics } from '../../observability/metrics.js';
import type {
  LegSpec, LocalEndpoint, MediaDirection, MediaEndEvent, MediaEngine, MediaError, MediaResult, RemoteSpec, SessionSpec, SessionStats,
} from '../engine.js';
import { metricsSink } from './metrics.js';
import { startPool, type Outcome } from './pool.js';
import { DEFAULT_RELAY_OPTIONS, type RelayOptions, type WorkerLeg } from './types.js';

export type { RelayOptions, LatchPolicy, RelayRealmOptions } from './types.js';
export { DEFAULT_RELAY_OPTIONS } from './types.js';
export { relayOptionsFromConfig } from './config.js';

export interface RelayEngine extends MediaEngine {
  readonly workers: number;
  /** Free ports (two per pair), exact once pending calls have settled; the same figure as palisade_media_ports_free. */
  portsFree(): number;
  portsTotal(): number;
  sessionCount(): number;
  /** Worker index holding a session (tests, diagnostics). */
  workerOf(sessionId: string): number | undefined;
  /** Per worker, its event loop's busy time since start; diff two readings for a window. */
  eventLoopUtilization(): EventLoopUtilization[];
  /** Kills a worker the way a crash would; its sessions end with engine_failure and it restarts. */
  crashWorker(index: number): Promise<void>;
}

export interface RelayEngineOptions extends Partial<RelayOptions> {
  readonly metrics?: Metrics;
}

const err = (code: MediaError['code'], message: string): { ok: false; error: MediaError } => ({ ok: false, error: { code, message } });

export async function createRelayEngine(options: RelayEngineOptions = {}): Promise<RelayEngine> {
  const opts: RelayOptions = { ...DEFAULT_RELAY_OPTIONS, ...options, realms: { ...DEFAULT_RELAY_OPTIONS.realms, ...options.realms } };
  const sink = options.metrics ? metricsSink(options.metrics) : undefined;
  const pool = await startPool(opts, sink);
  // id → worker index; -1 while the allocation is in flight.
  const where = new Map<string, number>();
  const endCbs: ((e: MediaEndEvent) => void)[] = [];
  let closed = false;

  const emit = (e: MediaEndEvent): void => {
    for (const cb of endCbs) {
      try {
        cb(e);
      } catch {
        // An owner's bug must not stop the others from hearing about the end.
      }
    }
  };
  const forget = (id: string, stats: SessionStats | undefined): void => {
    where.delete(id);
    sink?.sessions(where.size);
    if (stats) sink?.ended(stats);
  };

  pool.onEnded((_w, e) => {
    if (!where.has(e.sessionId)) return;
    forget(e.sessionId, e.stats);
    emit(e);
  });
  pool.onCrash((w) => {
    for (const [id, at] of [...where]) {
      if (at !== w) continue;
      forget(id, undefined);
      emit({ sessionId: id, reason: 'engine_failure', stats: undefined });
    }
  });

  const resolveLeg = (l: LegSpec): WorkerLeg | undefined => {
    const realm = opts.realms[l.realm];
    if (!realm) return undefined;
    const address = l.address ?? realm.address;
    if (isIP(address) === 0) return undefined;
    return { realm: l.realm, address, advertise: l.address !== undefined ? l.address : (realm.advertise ?? address) };
  };

  const onSession = async (id: string, run: (w: number) => Promise<Outcome>): Promise<Outcome> => {
    if (closed) return err('engine_closed', 'media engine is closed');
    const w = where.get(id);
    if (w === undefined || w < 0) return err('unknown_session', `no session ${id}`);
    return run(w);
  };

  return {
    workers: pool.size,
    portsFree: () => 2 * pool.freePairs(),
    portsTotal: () => 2 * pool.totalPairs(),
    sessionCount: () => where.size,
    workerOf: (id) => {
      const w = where.get(id);
      return w === undefined || w < 0 ? undefined : w;
    },
    crashWorker: (i) => pool.terminate(i),
    eventLoopUtilization: () => pool.eventLoopUtilization(),

    async allocate(spec: SessionSpec): Promise<MediaResult<readonly [LocalEndpoint, LocalEndpoint]>> {
      if (closed) return err('engine_closed', 'media engine is closed');
      if (typeof spec.id !== 'string' || spec.id.length === 0 || spec.legs?.length !== 2) return err('bad_request', 'a session needs an id and two legs');
      if (where.has(spec.id)) return err('duplicate_session', `session ${spec.id} exists`);
      const l0 = resolveLeg(spec.legs[0]);
      const l1 = resolveLeg(spec.legs[1]);
      if (!l0 || !l1) return err('bad_request', 'each leg needs a known realm and an IP address');
      where.set(spec.id, -1);
      // Most free pairs first; a worker that ran dry since its last report
      // answers ports_exhausted and the next one is asked.
      let last: Outcome = err('ports_exhausted', 'no free RTP port pair');
      for (const w of pool.byFreePairs()) {
        last = await pool.request(w, { op: 'allocate', id: spec.id, legs: [l0, l1] });
        if (last.ok) {
          if (closed || where.get(spec.id) !== -1) {
            // Closed, or the worker crashed, while we waited: nothing to hand back.
            void pool.request(w, { op: 'delete', id: spec.id });
            where.delete(spec.id);
            return err('engine_failure', 'media engine went away during allocation');
          }
          where.set(spec.id, w);
          sink?.sessions(where.size);
          return { ok: true, value: last.value as readonly [LocalEndpoint, LocalEndpoint] };
        }
        if (last.error.code !== 'ports_exhausted') break;
      }
      where.delete(spec.id);
      return last.ok ? err('engine_failure', 'unreachable') : last;
    },

    async update(id: string, leg: 0 | 1, remote: RemoteSpec): Promise<MediaResult<void>> {
      if (leg !== 0 && leg !== 1) return err('bad_request', 'leg index must be 0 or 1');
      const o = await onSession(id, (w) => pool.request(w, { op: 'update', id, leg, remote }));
      return o.ok ? { ok: true, value: undefined } : o;
    },

    async direction(id: string, leg: 0 | 1, direction: MediaDirection): Promise<MediaResult<void>> {
      if (leg !== 0 && leg !== 1) return err('bad_request', 'leg index must be 0 or 1');
      const o = await onSession(id, (w) => pool.request(w, { op: 'direction', id, leg, direction }));
      return o.ok ? { ok: true, value: undefined } : o;
    },

    async stats(id: string): Promise<MediaResult<SessionStats>> {
      const o = await onSession(id, (w) => pool.request(w, { op: 'stats', id }));
      return o.ok ? { ok: true, value: o.value as SessionStats } : o;
    },

    async delete(id: string): Promise<MediaResult<SessionStats>> {
      const o = await onSession(id, (w) => pool.request(w, { op: 'delete', id }));
      if (!o.ok) return o;
      forget(id, o.value as SessionStats);
      return { ok: true, value: o.value as SessionStats };
    },

    onEnd(cb) {
      endCbs.push(cb);
    },

    async close() {
      if (closed) return;
      closed = true;
      where.clear();
      sink?.sessions(0);
      await pool.close();
    },
  };
}
