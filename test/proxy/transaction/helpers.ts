// Test doubles for the transaction layer: a SendTarget that records what was sent
// and when (under vitest fake timers Date.now() is the fake clock), and a client
// init whose callbacks record what the core would have seen.
import { vi } from 'vitest';
import type { ClientTransactionInit, SendTarget } from '../../../src/proxy/transaction/index.js';

export interface Sent { readonly at: number; readonly text: string }

export interface RecordingTarget extends SendTarget {
  readonly sent: Sent[];
  /** make send() fail from now on */
  fail: boolean;
  texts(): string[];
  times(): number[];
}

export function recordingTarget(reliable = false, start = Date.now()): RecordingTarget {
  const sent: Sent[] = [];
  return {
    reliable,
    sent,
    fail: false,
    send(bytes: Buffer): boolean {
      if (this.fail) return false;
      sent.push({ at: Date.now() - start, text: bytes.toString() });
      return true;
    },
    texts: () => sent.map((s) => s.text),
    times: () => sent.map((s) => s.at),
  };
}

export interface ClientRecord {
  readonly init: ClientTransactionInit;
  readonly responses: Array<[number, string]>;
  timeouts: number;
  transportErrors: number;
  timerC: number;
}

export function clientInit(
  key: string,
  method: string,
  target: SendTarget,
  extra: Partial<Pick<ClientTransactionInit, 'buildAck' | 'onTimerC'>> & { ack?: boolean } = {},
): ClientRecord {
  const rec: ClientRecord = {
    responses: [],
    timeouts: 0,
    transportErrors: 0,
    timerC: 0,
    init: undefined as unknown as ClientTransactionInit,
  };
  (rec as { init: ClientTransactionInit }).init = {
    key,
    method,
    request: Buffer.from(`${method} sip:x`),
    target,
    onResponse: (status, raw) => rec.responses.push([status, raw.toString()]),
    onTimeout: () => { rec.timeouts++; },
    onTransportError: () => { rec.transportErrors++; },
    ...(method === 'INVITE' && extra.ack !== false
      ? { buildAck: extra.buildAck ?? ((status: number) => Buffer.from(`ACK for ${status}`)) }
      : {}),
    ...(extra.onTimerC ? { onTimerC: extra.onTimerC } : {}),
  };
  return rec;
}

export const b = (s: string): Buffer => Buffer.from(s);

export function useFakeClock(): void {
  vi.useFakeTimers({ now: 1_000_000 });
}

/**
 * A hand-stepped Clock on a binary heap, for batches: vitest's fake timers scan
 * every pending timer per firing, which turns 10^4 transactions quadratic.
 * Ties fire in scheduling order, as Node's timers do.
 */
export interface HeapClock {
  readonly clock: import('../../../src/proxy/transaction/index.js').Clock;
  now(): number;
  pending(): number;
  advance(ms: number): void;
  /** run until nothing is pending; returns how many timers fired */
  runAll(): number;
}

interface Entry { at: number; seq: number; run: () => void; live: boolean }

export function heapClock(): HeapClock {
  let now = 0;
  let seq = 0;
  let live = 0;
  const heap: Entry[] = [];
  const less = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
  function push(e: Entry): void {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  }
  function pop(): Entry | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
  function step(until: number): boolean {
    while (heap.length > 0 && !heap[0]!.live) pop();
    const top = heap[0];
    if (top === undefined || top.at > until) return false;
    pop();
    top.live = false;
    live--;
    now = top.at;
    top.run();
    return true;
  }
  return {
    clock: {
      setTimeout<A>(fn: (arg: A) => void, ms: number, arg: A) {
        const e: Entry = { at: now + ms, seq: seq++, run: () => fn(arg), live: true };
        live++;
        push(e);
        return e;
      },
      clearTimeout(h) {
        const e = h as Entry;
        if (e.live) { e.live = false; live--; }
      },
    },
    now: () => now,
    pending: () => live,
    advance(ms) {
      const until = now + ms;
      while (step(until));
      now = until;
    },
    runAll() {
      let n = 0;
      while (step(Infinity)) n++;
      return n;
    },
  };
}
