// Randomized sequences of everything that can happen to the layer: requests,
// retransmissions, ACKs, responses in any order, transport failures, CANCELs,
// aborts and the passage of time. Whatever happens, once the core has answered
// what it must answer and every timer has run out, both tables are empty, every
// transaction reported its end exactly once, and no callback came after the end.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientKey, createTransactionLayer, serverKey } from '../../../src/proxy/transaction/index.js';
import type { ClientTransaction, ServerTransaction } from '../../../src/proxy/transaction/index.js';
import { heapClock } from './helpers.js';

const SLOTS = 4;
const METHODS = ['INVITE', 'BYE', 'CANCEL'] as const;
const STATUSES = [100, 180, 183, 200, 202, 302, 408, 486, 487, 503] as const;

type Event =
  | { k: 'sCreate'; slot: number; method: (typeof METHODS)[number]; reliable: boolean }
  | { k: 'sRespond'; slot: number; status: number }
  | { k: 'sRetrans'; slot: number; ack: boolean }
  | { k: 'sAbort'; slot: number }
  | { k: 'cCreate'; slot: number; method: (typeof METHODS)[number]; reliable: boolean; timerC: boolean }
  | { k: 'cResponse'; slot: number; status: number }
  | { k: 'cCancel'; slot: number }
  | { k: 'cAbort'; slot: number }
  | { k: 'fail'; slot: number; on: boolean }
  | { k: 'advance'; ms: number };

const slot = fc.integer({ min: 0, max: SLOTS - 1 });
const method = fc.constantFrom(...METHODS);
const status = fc.constantFrom(...STATUSES);
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ k: fc.constant('sCreate' as const), slot, method, reliable: fc.boolean() }),
  fc.record({ k: fc.constant('sRespond' as const), slot, status }),
  fc.record({ k: fc.constant('sRetrans' as const), slot, ack: fc.boolean() }),
  fc.record({ k: fc.constant('sAbort' as const), slot }),
  fc.record({ k: fc.constant('cCreate' as const), slot, method, reliable: fc.boolean(), timerC: fc.boolean() }),
  fc.record({ k: fc.constant('cResponse' as const), slot, status }),
  fc.record({ k: fc.constant('cCancel' as const), slot }),
  fc.record({ k: fc.constant('cAbort' as const), slot }),
  fc.record({ k: fc.constant('fail' as const), slot, on: fc.boolean() }),
  fc.record({ k: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 200_000 })) }),
);

interface ClientRec { tx: ClientTransaction; ended: boolean; finals: number; after: number }

function run(events: readonly Event[]): void {
  const hc = heapClock();
  const ends = new Map<string, number>();
  let created = 0;
  const layer = createTransactionLayer({
    clock: hc.clock,
    timers: { t1: 500, t2: 4000, t4: 5000, timerC: 60_000 },
    onTerminated: (side, key) => ends.set(`${side} ${key}`, (ends.get(`${side} ${key}`) ?? 0) + 1),
  });
  // one failure switch per slot, shared by the server and client of that slot
  const failing: boolean[] = new Array<boolean>(SLOTS).fill(false);
  const target = (i: number, reliable: boolean) => ({ reliable, send: () => !failing[i] });
  const servers: Array<{ tx: ServerTransaction; key: string } | undefined> = [];
  const serverMethod: string[] = [];
  const clients: Array<ClientRec | undefined> = [];
  const clientMethod: string[] = [];
  let gen = 0; // fresh keys per creation so ends are counted per transaction

  for (const e of events) {
    switch (e.k) {
      case 'sCreate': {
        const cur = servers[e.slot];
        if (cur && cur.tx.state !== 'terminated') break;
        const key = serverKey(`z9hG4bKs${gen++}`, 'ua', e.method);
        servers[e.slot] = { tx: layer.createServer({ key, method: e.method, target: target(e.slot, e.reliable) }), key };
        serverMethod[e.slot] = e.method;
        created++;
        break;
      }
      case 'sRespond':
        servers[e.slot]?.tx.respond(e.status, Buffer.from(String(e.status)));
        break;
      case 'sRetrans': {
        const s = servers[e.slot];
        if (s) layer.serverRetransmission(s.key, e.ack ? 'ACK' : serverMethod[e.slot]!);
        break;
      }
      case 'sAbort':
        servers[e.slot]?.tx.terminate();
        break;
      case 'cCreate': {
        const cur = clients[e.slot];
        if (cur && cur.tx.state !== 'terminated') break;
        const key = clientKey(`z9hG4bKc${gen++}`, e.method);
        const rec: ClientRec = { tx: undefined as unknown as ClientTransaction, ended: false, finals: 0, after: 0 };
        const note = () => { if (rec.ended) rec.after++; };
        rec.tx = layer.createClient({
          key,
          method: e.method,
          request: Buffer.from(e.method),
          target: target(e.slot, e.reliable),
          onResponse: (st) => { note(); if (st >= 300) rec.finals++; },
          onTimeout: () => { note(); rec.ended = true; },
          onTransportError: () => { note(); rec.ended = true; },
          buildAck: () => Buffer.from('ACK'),
          ...(e.timerC ? { onTimerC: () => { note(); } } : {}),
        });
        clients[e.slot] = rec;
        clientMethod[e.slot] = e.method;
        created++;
        break;
      }
      case 'cResponse': {
        const c = clients[e.slot];
        if (c) layer.clientResponse(c.tx.key, e.status, Buffer.from(String(e.status)));
        break;
      }
      case 'cCancel':
        clients[e.slot]?.tx.cancelSent();
        break;
      case 'cAbort':
        clients[e.slot]?.tx.terminate();
        break;
      case 'fail':
        failing[e.slot] = e.on;
        break;
      case 'advance':
        hc.advance(e.ms);
        break;
    }
    // a transaction in a table is never terminated; a terminated one is never found
    for (const s of servers) if (s) expect(layer.findServer(s.key) === s.tx).toBe(s.tx.state !== 'terminated');
    for (const c of clients) if (c) expect(layer.findClient(c.tx.key) === c.tx).toBe(c.tx.state !== 'terminated');
  }

  // the core answers whatever still waits on it (a proxy's Timer C guarantees that)
  for (const s of servers) s?.tx.respond(500, Buffer.from('500'));
  hc.runAll();

  expect(layer.size()).toEqual({ server: 0, client: 0 });
  expect(hc.pending()).toBe(0);
  expect(ends.size).toBe(created);
  for (const n of ends.values()) expect(n).toBe(1);
  for (const c of clients) {
    if (!c) continue;
    expect(c.after).toBe(0);
    expect(c.finals).toBeLessThanOrEqual(1);
  }
}

describe('transaction layer under random events', () => {
  it('RFC 3261 §17 never leaves an entry or timer behind once all timers run out', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 80 }), (events) => { run(events); }), { numRuns: 500 });
  });
});
