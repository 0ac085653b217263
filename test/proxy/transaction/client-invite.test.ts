import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientKey, createTransactionLayer } from '../../../src/proxy/transaction/index.js';
import type { TerminationReason, TransactionTimers } from '../../../src/proxy/transaction/index.js';
import { b, clientInit, recordingTarget, useFakeClock } from './helpers.js';

const KEY = clientKey('z9hG4bKout1', 'INVITE');

function setup(reliable = false, timers: Partial<TransactionTimers> = {}, withTimerC = false) {
  const ends: TerminationReason[] = [];
  const layer = createTransactionLayer({ timers, onTerminated: (_s, _k, r) => ends.push(r) });
  const target = recordingTarget(reliable);
  const rec = clientInit(KEY, 'INVITE', target, withTimerC ? { onTimerC: () => { rec.timerC++; } } : {});
  const tx = layer.createClient(rec.init);
  return { layer, target, rec, tx, ends };
}

beforeEach(useFakeClock);
afterEach(() => { vi.useRealTimers(); });

describe('INVITE client transaction (RFC 3261 §17.1.1)', () => {
  it('RFC 3261 §17.1.1.2 Timer A doubles until Timer B (64*T1) times out (UDP)', () => {
    const { tx, target, rec, ends, layer } = setup();
    expect(tx.state).toBe('calling');
    vi.advanceTimersByTime(31_999);
    expect(target.times()).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(new Set(target.texts())).toEqual(new Set(['INVITE sip:x']));
    expect(rec.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rec.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual(['timeout']);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.1.2 no Timer A on reliable transports; Timer B still fires', () => {
    const { target, rec } = setup(true);
    vi.advanceTimersByTime(31_999);
    expect(target.sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(rec.timeouts).toBe(1);
  });

  it('RFC 3261 §17.1.1.2 Timer A and B follow a configured T1', () => {
    const { target, rec } = setup(false, { t1: 100 });
    vi.advanceTimersByTime(6_400);
    expect(target.times()).toEqual([0, 100, 300, 700, 1500, 3100, 6300]);
    expect(rec.timeouts).toBe(1);
  });

  it('RFC 3261 §17.1.1.2 a provisional moves to Proceeding and stops Timer A and Timer B', () => {
    const { tx, target, rec, layer } = setup();
    vi.advanceTimersByTime(700);
    expect(layer.clientResponse(KEY, 100, b('100'))).toBe(true);
    expect(tx.state).toBe('proceeding');
    layer.clientResponse(KEY, 180, b('180 a'));
    layer.clientResponse(KEY, 180, b('180 b')); // e.g. another fork downstream: still goes up
    vi.advanceTimersByTime(100_000);
    expect(target.sent).toHaveLength(2);
    expect(rec.timeouts).toBe(0);
    expect(rec.responses).toEqual([[100, '100'], [180, '180 a'], [180, '180 b']]);
    expect(tx.state).toBe('proceeding');
  });

  it('RFC 3261 §17.1.1.3 a non-2xx final is ACKed by the transaction and passed up once', () => {
    const { tx, target, rec, layer } = setup();
    layer.clientResponse(KEY, 180, b('180'));
    layer.clientResponse(KEY, 486, b('486 Busy'));
    expect(tx.state).toBe('completed');
    expect(target.texts()).toEqual(['INVITE sip:x', 'ACK for 486']);
    expect(rec.responses).toEqual([[180, '180'], [486, '486 Busy']]);
  });

  it('RFC 3261 §17.1.1.2 each retransmitted final is re-ACKed and absorbed; Timer D (32 s) ends Completed (UDP)', () => {
    const { tx, target, rec, layer, ends } = setup();
    layer.clientResponse(KEY, 503, b('503'));
    vi.advanceTimersByTime(500);
    expect(layer.clientResponse(KEY, 503, b('503'))).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(layer.clientResponse(KEY, 503, b('503'))).toBe(true);
    expect(layer.clientResponse(KEY, 180, b('180'))).toBe(true); // late provisional: absorbed
    expect(target.texts()).toEqual(['INVITE sip:x', 'ACK for 503', 'ACK for 503', 'ACK for 503']);
    expect(rec.responses).toEqual([[503, '503']]);
    vi.advanceTimersByTime(32_000 - 1_500 - 1);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual(['done']);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.1.2 Timer D is 0 on reliable transports', () => {
    const { tx, target, rec, layer } = setup(true);
    layer.clientResponse(KEY, 404, b('404'));
    expect(target.texts()).toEqual(['INVITE sip:x', 'ACK for 404']);
    expect(rec.responses).toEqual([[404, '404']]);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.1.2 Timer D is at least 64*T1 when T1 is raised', () => {
    const { tx, layer } = setup(false, { t1: 1_000 });
    layer.clientResponse(KEY, 404, b('404'));
    vi.advanceTimersByTime(63_999);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
  });

  it('RFC 3261 §17.1.1.3 without buildAck a non-2xx final still completes, with nothing sent', () => {
    const layer = createTransactionLayer();
    const target = recordingTarget();
    const rec = clientInit(KEY, 'INVITE', target, { ack: false });
    const tx = layer.createClient(rec.init);
    layer.clientResponse(KEY, 486, b('486'));
    layer.clientResponse(KEY, 486, b('486'));
    expect(target.sent).toHaveLength(1);
    expect(tx.state).toBe('completed');
  });

  it('RFC 3261 §17.1.4 a transport error before a final terminates and informs the core', () => {
    const layer = createTransactionLayer();
    const target = recordingTarget();
    target.fail = true;
    const rec = clientInit(KEY, 'INVITE', target);
    const tx = layer.createClient(rec.init);
    expect(tx.state).toBe('terminated');
    expect(rec.transportErrors).toBe(1);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.4 a transport error on a Timer A retransmission terminates', () => {
    const { tx, target, rec, layer } = setup();
    target.fail = true;
    vi.advanceTimersByTime(500);
    expect(tx.state).toBe('terminated');
    expect(rec.transportErrors).toBe(1);
    expect(rec.timeouts).toBe(0);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.4 an ACK that cannot be sent ends Completed without a second report', () => {
    const { tx, target, rec, layer } = setup();
    target.fail = true;
    layer.clientResponse(KEY, 486, b('486'));
    expect(rec.responses).toEqual([[486, '486']]);
    expect(rec.transportErrors).toBe(0);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
  });

  it('RFC 6026 §7.2 a response with no transaction is a stray', () => {
    const { layer } = setup();
    expect(layer.clientResponse(clientKey('z9hG4bKother', 'INVITE'), 200, b('200'))).toBe(false);
  });
});

describe('INVITE client transaction Accepted state (RFC 6026 §7.2, §8.4)', () => {
  it('RFC 6026 §8.4 a 2xx moves to Accepted; every later 2xx is passed up, nothing is ACKed by the layer', () => {
    const { tx, target, rec, layer } = setup();
    layer.clientResponse(KEY, 180, b('180'));
    layer.clientResponse(KEY, 200, b('200 fork a'));
    expect(tx.state).toBe('accepted');
    layer.clientResponse(KEY, 200, b('200 fork a'));
    layer.clientResponse(KEY, 200, b('200 fork b'));
    layer.clientResponse(KEY, 486, b('486')); // not a 2xx: absorbed
    layer.clientResponse(KEY, 183, b('183')); // late provisional: absorbed
    expect(rec.responses).toEqual([[180, '180'], [200, '200 fork a'], [200, '200 fork a'], [200, '200 fork b']]);
    expect(target.sent).toHaveLength(1);
  });

  it('RFC 6026 §8.4 Timer M (64*T1) ends Accepted, on UDP and TCP, and stops Timer A', () => {
    for (const reliable of [false, true]) {
      const { tx, target, layer, ends } = setup(reliable);
      layer.clientResponse(KEY, 200, b('200'));
      vi.advanceTimersByTime(31_999);
      expect(target.sent).toHaveLength(1);
      expect(tx.state).toBe('accepted');
      vi.advanceTimersByTime(1);
      expect(tx.state).toBe('terminated');
      expect(ends).toEqual(['done']);
      expect(layer.size().client).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    }
  });
});

describe('Timer C and CANCEL (RFC 3261 §16.6 step 11, §16.7, §16.8, §9.1)', () => {
  it('RFC 3261 §16.8 Timer C after a provisional asks the core to CANCEL, then gives up after 64*T1 (§9.1)', () => {
    const { tx, rec, layer } = setup(false, {}, true);
    vi.advanceTimersByTime(1_000);
    layer.clientResponse(KEY, 180, b('180'));
    // §16.7 step 2: a 101-199 restarts Timer C
    vi.advanceTimersByTime(179_999);
    expect(rec.timerC).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rec.timerC).toBe(1);
    expect(tx.state).toBe('proceeding');
    vi.advanceTimersByTime(31_999);
    expect(rec.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rec.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §16.7 a 100 does not restart Timer C', () => {
    const { rec, layer } = setup(false, {}, true);
    vi.advanceTimersByTime(1_000);
    layer.clientResponse(KEY, 100, b('100'));
    vi.advanceTimersByTime(179_000);
    expect(rec.timerC).toBe(1);
  });

  it('RFC 3261 §16.8 after Timer C, the 487 to the CANCEL completes the transaction normally', () => {
    const { tx, rec, layer, target } = setup(false, {}, true);
    layer.clientResponse(KEY, 183, b('183'));
    vi.advanceTimersByTime(180_000);
    expect(rec.timerC).toBe(1);
    layer.clientResponse(KEY, 487, b('487'));
    expect(tx.state).toBe('completed');
    expect(target.texts().at(-1)).toBe('ACK for 487');
    vi.advanceTimersByTime(32_000);
    expect(rec.timeouts).toBe(0);
    expect(layer.size().client).toBe(0);
  });

  it('RFC 3261 §16.8 Timer C with no provisional acts as a 408 (onTimeout)', () => {
    const { tx, rec } = setup(true, { timerC: 10_000 }, true);
    vi.advanceTimersByTime(10_000);
    expect(rec.timerC).toBe(0);
    expect(rec.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('RFC 3261 §16.8 without an onTimerC hook, Timer C times the transaction out', () => {
    const { tx, rec, layer } = setup();
    layer.clientResponse(KEY, 180, b('180'));
    vi.advanceTimersByTime(180_000);
    expect(rec.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('RFC 3261 §16.6 timerC: 0 turns Timer C off (the core owns the give-up)', () => {
    const { tx, layer } = setup(false, { timerC: 0 });
    layer.clientResponse(KEY, 180, b('180'));
    expect(vi.getTimerCount()).toBe(0);
    expect(tx.state).toBe('proceeding');
    tx.terminate();
    expect(layer.size().client).toBe(0);
  });

  it('RFC 3261 §9.1 once a CANCEL is sent, the INVITE is given up after 64*T1 without a final', () => {
    const { tx, rec, layer } = setup(false, { timerC: 0 });
    layer.clientResponse(KEY, 180, b('180'));
    tx.cancelSent();
    tx.cancelSent(); // idempotent: does not push the deadline out
    vi.advanceTimersByTime(31_999);
    expect(rec.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rec.timeouts).toBe(1);
    expect(layer.size().client).toBe(0);
  });

  it('RFC 3261 §9.1 CANCEL is its own client transaction with the INVITE\'s branch', () => {
    const { layer, target } = setup();
    layer.clientResponse(KEY, 180, b('180'));
    const cancelKey = clientKey('z9hG4bKout1', 'CANCEL');
    expect(cancelKey).not.toBe(KEY);
    const rec = clientInit(cancelKey, 'CANCEL', target);
    const cancel = layer.createClient(rec.init);
    layer.findClient(KEY)?.cancelSent();
    expect(layer.size().client).toBe(2);
    layer.clientResponse(cancelKey, 200, b('200 CANCEL'));
    layer.clientResponse(KEY, 487, b('487'));
    expect(cancel.state).toBe('completed');
    expect(rec.responses).toEqual([[200, '200 CANCEL']]);
    vi.advanceTimersByTime(32_000);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
