import { afterEach, describe, expect, it, vi } from 'vitest';
import { clientKey, createTransactionLayer, serverKey } from '../../../src/proxy/transaction/index.js';
import { b, clientInit, heapClock, recordingTarget, useFakeClock } from './helpers.js';

afterEach(() => { vi.useRealTimers(); });

describe('transaction layer', () => {
  it('runs on an injected clock alone', () => {
    const m = heapClock();
    const layer = createTransactionLayer({ clock: m.clock });
    const sendTimes: number[] = [];
    const target = { reliable: false, send: () => { sendTimes.push(m.now()); return true; } };
    const rec = clientInit(clientKey('z9hG4bKm', 'INVITE'), 'INVITE', target);
    layer.createClient(rec.init);
    m.advance(32_000);
    expect(sendTimes).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(rec.timeouts).toBe(1);
    expect(m.pending()).toBe(0);
    expect(layer.size()).toEqual({ server: 0, client: 0 });
  });

  it('refuses timers that make no sense', () => {
    expect(() => createTransactionLayer({ timers: { t1: 0 } })).toThrow(RangeError);
    expect(() => createTransactionLayer({ timers: { t1: 500, t2: 100 } })).toThrow(RangeError);
    expect(() => createTransactionLayer({ timers: { timerC: -1 } })).toThrow(RangeError);
    expect(() => createTransactionLayer({ timers: { t1: undefined as unknown as number } })).not.toThrow();
  });

  it('refuses a server key already in use (the core must call serverRetransmission first)', () => {
    const layer = createTransactionLayer();
    const key = serverKey('z9hG4bK1', 'h', 'INVITE');
    layer.createServer({ key, method: 'INVITE', target: recordingTarget() });
    expect(() => layer.createServer({ key, method: 'INVITE', target: recordingTarget() })).toThrow(/exists/);
  });

  it('a retransmission with no transaction is left to the core', () => {
    const layer = createTransactionLayer();
    expect(layer.serverRetransmission(serverKey('z9hG4bK1', 'h', 'INVITE'), 'INVITE')).toBe(false);
  });

  it('terminate() drops a transaction at once and reports "aborted"', () => {
    useFakeClock();
    const ends: string[] = [];
    const layer = createTransactionLayer({ onTerminated: (side, _k, r) => ends.push(`${side}:${r}`) });
    const s = layer.createServer({ key: 's', method: 'INVITE', target: recordingTarget() });
    const c = layer.createClient(clientInit('c', 'INVITE', recordingTarget()).init);
    s.terminate();
    c.terminate();
    s.terminate();
    expect(ends).toEqual(['server:aborted', 'client:aborted']);
    expect(layer.size()).toEqual({ server: 0, client: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(s.respond(200, b('200'))).toBe(false);
  });

  it('callbacks run after the state change, so the core may re-enter the layer from them', () => {
    useFakeClock();
    const layer = createTransactionLayer();
    const target = recordingTarget();
    // onTimeout reuses the key at once (a failover that keeps its branch)
    let retried = false;
    const first = clientInit('k', 'OPTIONS', target);
    const init = { ...first.init, onTimeout: () => { retried = true; layer.createClient(clientInit('k', 'OPTIONS', target).init); } };
    layer.createClient(init);
    vi.advanceTimersByTime(32_000);
    expect(retried).toBe(true);
    expect(layer.size().client).toBe(1);
    // onResponse aborts its own transaction: the Completed timer goes with it
    const rec = clientInit('k2', 'BYE', target);
    const tx = layer.createClient({ ...rec.init, onResponse: () => { tx.terminate(); } });
    layer.clientResponse('k2', 200, b('200'));
    expect(tx.state).toBe('terminated');
    layer.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stop() clears every timer and entry without calling hooks', () => {
    useFakeClock();
    const ends: string[] = [];
    const layer = createTransactionLayer({ onTerminated: (_s, k) => ends.push(k) });
    for (let i = 0; i < 50; i++) {
      layer.createClient(clientInit(`c${i}`, i % 2 ? 'INVITE' : 'BYE', recordingTarget()).init);
      layer.createServer({ key: `s${i}`, method: 'INVITE', target: recordingTarget() }).respond(500, b('500'));
    }
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    layer.stop();
    expect(layer.size()).toEqual({ server: 0, client: 0 });
    expect(vi.getTimerCount()).toBe(0);
    expect(ends).toEqual([]);
  });

  it('RFC 3261 §17 a batch of 20,000 transactions leaves both tables empty once their timers run out', () => {
    const hc = heapClock();
    let ended = 0;
    const layer = createTransactionLayer({ clock: hc.clock, onTerminated: () => { ended++; } });
    const udp = { reliable: false, send: () => true };
    const tcp = { reliable: true, send: () => true };
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      const target = i % 3 === 0 ? tcp : udp;
      // a server INVITE answered 200, a server BYE answered 200, and the two client legs
      const sInv = layer.createServer({ key: serverKey(`z9hG4bKs${i}`, 'ua', 'INVITE'), method: 'INVITE', target });
      sInv.respond(100, b('100'));
      const cInv = clientKey(`z9hG4bKc${i}`, 'INVITE');
      layer.createClient(clientInit(cInv, 'INVITE', target).init);
      layer.clientResponse(cInv, 180, b('180'));
      if (i % 4 === 0) {
        layer.clientResponse(cInv, 486, b('486'));
        sInv.respond(486, b('486'));
        if (i % 8 === 0) layer.serverRetransmission(serverKey(`z9hG4bKs${i}`, 'ua', 'ACK'), 'ACK');
      } else {
        layer.clientResponse(cInv, 200, b('200'));
        sInv.respond(200, b('200'));
      }
      const sBye = layer.createServer({ key: serverKey(`z9hG4bKb${i}`, 'ua', 'BYE'), method: 'BYE', target });
      const cBye = clientKey(`z9hG4bKd${i}`, 'BYE');
      layer.createClient(clientInit(cBye, 'BYE', target).init);
      if (i % 5 !== 0) layer.clientResponse(cBye, 200, b('200')); // every fifth BYE times out (Timer F)
      sBye.respond(200, b('200'));
    }
    expect(layer.size().server + layer.size().client).toBeGreaterThan(0);
    hc.advance(64 * 500);
    expect(layer.size()).toEqual({ server: 0, client: 0 });
    expect(ended).toBe(4 * n);
    expect(hc.pending()).toBe(0);
  });
});
