import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTransactionLayer, serverKey } from '../../../src/proxy/transaction/index.js';
import type { TerminationReason, TransactionLayerOptions } from '../../../src/proxy/transaction/index.js';
import { b, recordingTarget, useFakeClock } from './helpers.js';

const KEY = serverKey('z9hG4bKinv1', 'client.example:5060', 'INVITE');
const ACK_KEY = serverKey('z9hG4bKinv1', 'client.example:5060', 'ACK');

function setup(reliable = false, extra: TransactionLayerOptions = {}) {
  const timeouts: string[] = [];
  const ends: Array<[string, TerminationReason]> = [];
  const transportErrors: string[] = [];
  const layer = createTransactionLayer({
    onServerTimeout: (k) => timeouts.push(k),
    onServerTransportError: (k) => transportErrors.push(k),
    onTerminated: (side, k, reason) => ends.push([side, reason]),
    ...extra,
  });
  const target = recordingTarget(reliable);
  const tx = layer.createServer({ key: KEY, method: 'INVITE', target });
  return { layer, target, tx, timeouts, ends, transportErrors };
}

beforeEach(useFakeClock);
afterEach(() => { vi.useRealTimers(); });

describe('INVITE server transaction (RFC 3261 §17.2.1)', () => {
  it('RFC 3261 §17.2.1 starts in Proceeding and the ACK key maps to the INVITE key', () => {
    const { tx, layer } = setup();
    expect(tx.state).toBe('proceeding');
    expect(ACK_KEY).toBe(KEY);
    expect(layer.findServer(KEY)).toBe(tx);
  });

  it('RFC 3261 §17.2.1 a retransmitted INVITE is absorbed before any response, answered with the last provisional after', () => {
    const { tx, layer, target } = setup();
    expect(layer.serverRetransmission(KEY, 'INVITE')).toBe(true);
    expect(target.sent).toHaveLength(0);
    expect(tx.respond(100, b('100 Trying'))).toBe(true);
    expect(tx.respond(180, b('180 Ringing'))).toBe(true);
    expect(layer.serverRetransmission(KEY, 'INVITE')).toBe(true);
    expect(target.texts()).toEqual(['100 Trying', '180 Ringing', '180 Ringing']);
    expect(tx.state).toBe('proceeding');
  });

  it('RFC 3261 §17.2.1 Timer G retransmits the non-2xx final at T1 doubling to T2 until Timer H (UDP)', () => {
    const { tx, target, timeouts, ends, layer } = setup();
    tx.respond(486, b('486 Busy'));
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(31_999);
    expect(target.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(new Set(target.texts())).toEqual(new Set(['486 Busy']));
    expect(timeouts).toEqual([]);
    vi.advanceTimersByTime(1);
    // Timer H = 64*T1: the ACK never came
    expect(tx.state).toBe('terminated');
    expect(timeouts).toEqual([KEY]);
    expect(ends).toEqual([['server', 'timeout']]);
    expect(layer.size().server).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.2.1 Timer G is not used on reliable transports; Timer H still fires at 64*T1', () => {
    const { tx, target, timeouts } = setup(true);
    tx.respond(503, b('503'));
    vi.advanceTimersByTime(31_999);
    expect(target.sent).toHaveLength(1);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(timeouts).toEqual([KEY]);
    expect(tx.state).toBe('terminated');
  });

  it('RFC 3261 §17.2.1 Timer G and H scale with a configured T1 and T2', () => {
    const layer = createTransactionLayer({ timers: { t1: 100, t2: 300 } });
    const target = recordingTarget();
    const tx = layer.createServer({ key: KEY, method: 'INVITE', target });
    tx.respond(404, b('404'));
    vi.advanceTimersByTime(6_400);
    expect(target.times().slice(0, 6)).toEqual([0, 100, 300, 600, 900, 1200]);
    expect(tx.state).toBe('terminated');
  });

  it('RFC 3261 §17.2.1 a retransmitted INVITE in Completed re-sends the final', () => {
    const { tx, layer, target } = setup();
    tx.respond(404, b('404'));
    vi.advanceTimersByTime(100);
    expect(layer.serverRetransmission(KEY, 'INVITE')).toBe(true);
    expect(target.texts()).toEqual(['404', '404']);
  });

  it('RFC 3261 §17.2.1 the ACK moves Completed to Confirmed, stops Timer G and H, and Timer I (T4) ends it (UDP)', () => {
    const { tx, layer, target, timeouts, ends } = setup();
    tx.respond(486, b('486'));
    vi.advanceTimersByTime(600); // one Timer G retransmission
    expect(layer.serverRetransmission(ACK_KEY, 'ACK')).toBe(true);
    expect(tx.state).toBe('confirmed');
    // retransmitted ACKs and INVITEs are absorbed silently in Confirmed
    expect(layer.serverRetransmission(ACK_KEY, 'ACK')).toBe(true);
    expect(layer.serverRetransmission(KEY, 'INVITE')).toBe(true);
    vi.advanceTimersByTime(4_999);
    expect(target.sent).toHaveLength(2);
    expect(tx.state).toBe('confirmed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(timeouts).toEqual([]);
    expect(ends).toEqual([['server', 'done']]);
    expect(layer.size().server).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.2.1 Timer I is 0 on reliable transports: the ACK terminates at once', () => {
    const { tx, layer } = setup(true);
    tx.respond(486, b('486'));
    expect(layer.serverRetransmission(ACK_KEY, 'ACK')).toBe(true);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.2.1 an ACK in Proceeding is not the transaction\'s and goes to the core', () => {
    const { layer, tx } = setup();
    expect(layer.serverRetransmission(ACK_KEY, 'ACK')).toBe(false);
    expect(tx.state).toBe('proceeding');
  });

  it('RFC 3261 §17.2.1 responses after the final are dropped', () => {
    const { tx, target } = setup();
    tx.respond(486, b('486'));
    expect(tx.respond(180, b('180'))).toBe(false);
    expect(tx.respond(200, b('200'))).toBe(false);
    expect(target.texts()).toEqual(['486']);
  });

  it('RFC 3261 §17.2.4 a transport error terminates and informs the core', () => {
    const { tx, target, layer, transportErrors, ends } = setup();
    target.fail = true;
    expect(tx.respond(180, b('180'))).toBe(false);
    expect(tx.state).toBe('terminated');
    expect(transportErrors).toEqual([KEY]);
    expect(ends).toEqual([['server', 'transport-error']]);
    expect(layer.size().server).toBe(0);
  });

  it('RFC 3261 §17.2.4 a transport error on a Timer G retransmission terminates', () => {
    const { tx, target, layer } = setup();
    tx.respond(486, b('486'));
    target.fail = true;
    vi.advanceTimersByTime(500);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('INVITE server transaction Accepted state (RFC 6026 §7.1, §8.5–8.7)', () => {
  it('RFC 6026 §8.7 after a 2xx, retransmitted INVITEs are absorbed and not answered', () => {
    const { tx, layer, target } = setup();
    tx.respond(180, b('180'));
    tx.respond(200, b('200 OK'));
    expect(tx.state).toBe('accepted');
    expect(layer.serverRetransmission(KEY, 'INVITE')).toBe(true);
    expect(target.texts()).toEqual(['180', '200 OK']);
  });

  it('RFC 6026 §8.7 2xx retransmissions from the core are sent; non-2xx are dropped', () => {
    const { tx, target } = setup();
    tx.respond(200, b('200 OK'));
    vi.advanceTimersByTime(500);
    expect(tx.respond(200, b('200 OK'))).toBe(true);
    expect(tx.respond(200, b('200 OK fork 2'))).toBe(true);
    expect(tx.respond(486, b('486'))).toBe(false);
    expect(tx.respond(180, b('180'))).toBe(false);
    expect(target.texts()).toEqual(['200 OK', '200 OK', '200 OK fork 2']);
  });

  it('RFC 6026 §7.1 an ACK reaching an Accepted transaction goes to the core', () => {
    const { tx, layer } = setup();
    tx.respond(200, b('200'));
    expect(layer.serverRetransmission(ACK_KEY, 'ACK')).toBe(false);
    expect(tx.state).toBe('accepted');
  });

  it('RFC 6026 §8.7 Timer L (64*T1) ends the Accepted state, on UDP and on TCP alike', () => {
    for (const reliable of [false, true]) {
      const { tx, layer, target, ends } = setup(reliable);
      tx.respond(200, b('200'));
      vi.advanceTimersByTime(31_999);
      expect(tx.state).toBe('accepted');
      expect(target.sent).toHaveLength(1); // the layer never retransmits a 2xx itself
      vi.advanceTimersByTime(1);
      expect(tx.state).toBe('terminated');
      expect(ends).toEqual([['server', 'done']]);
      expect(layer.size().server).toBe(0);
    }
  });

  it('RFC 6026 §8.7 a transport error in Accepted is reported; Timer L still ends the transaction', () => {
    const { tx, target, transportErrors, layer } = setup();
    tx.respond(200, b('200'));
    target.fail = true;
    expect(tx.respond(200, b('200'))).toBe(false);
    expect(transportErrors).toEqual([KEY]);
    expect(tx.state).toBe('accepted');
    vi.advanceTimersByTime(32_000);
    expect(layer.size().server).toBe(0);
  });
});
