// The main-thread side of the relay: starts the workers, splits the port range
// between them, forwards control calls and turns worker reports into metrics
// and end events. It never sees a media packet.
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { MediaEndEvent, MediaError, SessionStats } from '../engine.js';
import type { MediaMetricsSink } from './metrics.js';
import type { RelayOptions, ReplyValue, Request, WorkerInit, WorkerMessage } from './types.js';

export type Outcome = { ok: true; value: ReplyValue } | { ok: false; error: MediaError };

export interface Pool {
  readonly size: number;
  /** Worker indexes, most free pairs first (live workers only). */
  byFreePairs(): number[];
  request(worker: number, req: Request): Promise<Outcome>;
  /** Sum over workers of free pairs, as last reported. */
  freePairs(): number;
  totalPairs(): number;
  onEnded(cb: (worker: number, e: MediaEndEvent) => void): void;
  /** A worker died: every session on it is gone; it has been restarted with the same slice. */
  onCrash(cb: (worker: number) => void): void;
  /** Busy fraction of each worker's event loop since it started (diagnostics, benchmark). */
  eventLoopUtilization(): EventLoopUtilization[];
  /** For tests and operations: kill a worker as a crash would. */
  terminate(worker: number): Promise<void>;
  close(): Promise<void>;
}

interface Slot {
  readonly init: WorkerInit;
  worker: Worker;
  freePairs: number;
  alive: boolean;
  readonly waiting: Map<number, (o: Outcome) => void>;
}

/** Pairs are (even, odd); portMin rounds up to even and a pair must end at or below portMax. */
export function pairCount(portMin: number, portMax: number): { first: number; pairs: number } {
  const first = portMin + (portMin % 2);
  return { first, pairs: Math.max(0, Math.floor((portMax - first + 1) / 2)) };
}

export async function startPool(opts: RelayOptions, metrics: MediaMetricsSink | undefined): Promise<Pool> {
  const { first, pairs } = pairCount(opts.portMin, opts.portMax);
  if (pairs === 0) throw new Error(`media port range ${opts.portMin}-${opts.portMax} holds no RTP/RTCP pair`);
  const wanted = opts.workers > 0 ? opts.workers : availableParallelism();
  const n = Math.max(1, Math.min(wanted, pairs));
  const endedCbs: ((w: number, e: MediaEndEvent) => void)[] = [];
  const crashCbs: ((w: number) => void)[] = [];
  let seq = 0;
  let closing = false;

  const slots: Slot[] = [];
  let offset = 0;
  for (let i = 0; i < n; i++) {
    // Spread the remainder over the first workers so slices differ by at most one pair.
    const count = Math.floor(pairs / n) + (i < pairs % n ? 1 : 0);
    const init: WorkerInit = {
      index: i,
      firstPort: first + 2 * offset,
      pairs: count,
      timeoutMs: opts.timeoutMs,
      holdTimeoutMs: opts.holdTimeoutMs,
      latching: opts.latching,
      relatchAfterMs: opts.relatchAfterMs,
      tickMs: opts.tickMs,
    };
    offset += count;
    slots.push({ init, worker: undefined as unknown as Worker, freePairs: count, alive: false, waiting: new Map() });
  }

  const publishFree = (): void => metrics?.portsFree(2 * slots.reduce((a, s) => a + s.freePairs, 0));

  const spawn = (slot: Slot): Promise<void> => {
    const w = spawnWorker(slot.init);
    slot.worker = w;
    slot.freePairs = slot.init.pairs;
    w.on('message', (m: WorkerMessage) => {
      if (slot.worker !== w) return;
      slot.freePairs = m.freePairs;
      switch (m.type) {
        case 'reply': {
          const done = slot.waiting.get(m.seq);
          slot.waiting.delete(m.seq);
          done?.(m.ok ? { ok: true, value: m.value } : { ok: false, error: m.error });
          break;
        }
        case 'ended':
          for (const cb of endedCbs) cb(slot.init.index, { sessionId: m.id, reason: m.reason, stats: m.stats });
          break;
        case 'tick':
          metrics?.counters(m.counters);
          break;
      }
      publishFree();
    });
    const lost = (why: string): void => {
      if (slot.worker !== w || !slot.alive) return;
      slot.alive = false;
      for (const done of slot.waiting.values()) done({ ok: false, error: { code: 'engine_failure', message: why } });
      slot.waiting.clear();
      if (closing) return;
      // The thread's sockets closed with it, so its whole slice is free again.
      // Sessions are reported lost only once the slice is usable again, so the
      // owner's retry lands on a working worker.
      spawn(slot).then(
        () => {
          for (const cb of crashCbs) cb(slot.init.index);
          publishFree();
        },
        () => {
          // Could not restart: the slice stays out of service (byFreePairs skips it).
          slot.freePairs = 0;
          for (const cb of crashCbs) cb(slot.init.index);
          publishFree();
        },
      );
    };
    w.on('error', (e) => lost(`media worker ${slot.init.index} failed: ${e.message}`));
    w.on('exit', (code) => lost(`media worker ${slot.init.index} exited with code ${code}`));
    return new Promise((resolve, reject) => {
      w.once('online', () => {
        slot.alive = true;
        resolve();
      });
      w.once('error', reject);
    });
  };

  await Promise.all(slots.map(spawn));
  publishFree();

  return {
    size: n,
    byFreePairs: () =>
      slots
        .filter((s) => s.alive)
        .sort((a, b) => b.freePairs - a.freePairs)
        .map((s) => s.init.index),
    request(i, req) {
      const slot = slots[i];
      if (!slot || !slot.alive) return Promise.resolve({ ok: false, error: { code: 'engine_failure', message: `media worker ${i} is down` } });
      const s = ++seq;
      return new Promise((resolve) => {
        slot.waiting.set(s, resolve);
        slot.worker.postMessage({ seq: s, req });
      });
    },
    freePairs: () => slots.reduce((a, s) => a + s.freePairs, 0),
    totalPairs: () => pairs,
    onEnded: (cb) => void endedCbs.push(cb),
    onCrash: (cb) => void crashCbs.push(cb),
    eventLoopUtilization: () => slots.map((s) => s.worker.performance.eventLoopUtilization()),
    async terminate(i) {
      const slot = slots[i];
      if (!slot) return;
      const restarted = new Promise<void>((resolve) => crashCbs.push((w) => w === i && resolve()));
      await slot.worker.terminate();
      await restarted;
    },
    async close() {
      closing = true;
      await Promise.all(
        slots.map(async (slot) => {
          if (!slot.alive) return;
          const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => resolve()));
          const seqNo = ++seq;
          const replied = new Promise<void>((resolve) => slot.waiting.set(seqNo, () => resolve()));
          slot.worker.postMessage({ seq: seqNo, req: { op: 'close' } });
          // A worker that does not wind down in time is stopped; its sockets go with it.
          const timer = setTimeout(() => void slot.worker.terminate(), 2000);
          await replied;
          await exited;
          clearTimeout(timer);
        }),
      );
      for (const s of slots) s.freePairs = s.init.pairs;
      publishFree();
    },
  };
}

// From compiled JS the worker is a sibling .js file. From TypeScript sources
// (tests, tsx) Node cannot load .ts in a worker by itself, so the worker first
// registers tsx's loader, resolved from here so it is this project's tsx.
function spawnWorker(init: WorkerInit): Worker {
  const self = import.meta.url;
  if (self.endsWith('.js')) return new Worker(new URL('./worker.js', self), { workerData: init });
  const api = createRequire(self).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs');
  const entry = new URL('./worker.ts', self).href;
  const code = `import(${JSON.stringify(pathToFileURL(api).href)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData: init });
}

export type { SessionStats };
