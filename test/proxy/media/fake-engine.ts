// A MediaEngine that moves no packets: it hands out fixed endpoints and records
// what the media layer asked of it.
import type {
  LocalEndpoint, MediaDirection, MediaEndEvent, MediaEngine, MediaResult, RemoteSpec, SessionSpec, SessionStats,
} from '../../../src/media/engine.js';

export const EXT_RELAY = '203.0.113.1';
export const INT_RELAY = '10.0.0.1';

export interface FakeEngine extends MediaEngine {
  readonly sessions: Map<string, { remotes: (RemoteSpec | undefined)[]; directions: (MediaDirection | undefined)[] }>;
  readonly log: string[];
  allocated: number;
  deleted: number;
  failAllocate: 'ports_exhausted' | undefined;
  end(id: string, reason: MediaEndEvent['reason']): void;
}

export function fakeEngine(): FakeEngine {
  const cbs: ((e: MediaEndEvent) => void)[] = [];
  let port = 30000;
  const stats = (id: string): SessionStats => {
    const leg = (realm: 'external' | 'internal') => ({
      realm, received: { packets: 0, bytes: 0, rtcpPackets: 0 }, sent: { packets: 0, bytes: 0, rtcpPackets: 0 },
      quality: { expected: 0, lost: 0, lossRatio: 0, jitterSeconds: 0, mos: undefined },
      drops: { srtp_auth: 0, replay: 0, unexpected_source: 0, no_session: 0, malformed: 0 }, latched: undefined,
    });
    return { id, legs: [leg('external'), leg('internal')], durationMs: 0 };
  };
  const e: FakeEngine = {
    sessions: new Map(),
    log: [],
    allocated: 0,
    deleted: 0,
    failAllocate: undefined,
    async allocate(s: SessionSpec): Promise<MediaResult<readonly [LocalEndpoint, LocalEndpoint]>> {
      e.log.push(`allocate ${s.id}`);
      if (e.failAllocate) return { ok: false, error: { code: e.failAllocate, message: 'no ports' } };
      if (e.sessions.has(s.id)) return { ok: false, error: { code: 'duplicate_session', message: s.id } };
      e.sessions.set(s.id, { remotes: [undefined, undefined], directions: [undefined, undefined] });
      e.allocated++;
      const p = port;
      port += 2;
      return {
        ok: true,
        value: [
          { realm: 'external', address: EXT_RELAY, advertise: EXT_RELAY, rtpPort: p, rtcpPort: p + 1 },
          { realm: 'internal', address: INT_RELAY, advertise: INT_RELAY, rtpPort: p + 10000, rtcpPort: p + 10001 },
        ],
      };
    },
    async update(id, leg, remote) {
      e.log.push(`update ${id} ${leg} ${remote.address}:${remote.rtpPort}${remote.srtp ? ' srtp' : ''}`);
      const s = e.sessions.get(id);
      if (!s) return { ok: false, error: { code: 'unknown_session', message: id } };
      if (!/^[0-9.]+$|:/.test(remote.address)) return { ok: false, error: { code: 'bad_request', message: 'not an IP literal' } };
      s.remotes[leg] = remote;
      return { ok: true, value: undefined };
    },
    async direction(id, leg, d) {
      e.log.push(`direction ${id} ${leg} ${d}`);
      const s = e.sessions.get(id);
      if (!s) return { ok: false, error: { code: 'unknown_session', message: id } };
      s.directions[leg] = d;
      return { ok: true, value: undefined };
    },
    async delete(id) {
      e.log.push(`delete ${id}`);
      if (!e.sessions.delete(id)) return { ok: false, error: { code: 'unknown_session', message: id } };
      e.deleted++;
      return { ok: true, value: stats(id) };
    },
    async stats(id) {
      return e.sessions.has(id) ? { ok: true, value: stats(id) } : { ok: false, error: { code: 'unknown_session', message: id } };
    },
    onEnd(cb) {
      cbs.push(cb);
    },
    async close() {
      e.sessions.clear();
    },
    end(id, reason) {
      e.sessions.delete(id);
      for (const cb of cbs) cb({ sessionId: id, reason, stats: undefined });
    },
  };
  return e;
}
