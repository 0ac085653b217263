import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { clientKey, createTransactionLayer } from '../../../src/proxy/transaction/index.js';
import type { TerminationReason, TransactionTimers } from '../../../src/proxy/transaction/index.js';
import { b, clientInit, recordingTarget, useFakeClock } from './helpers.js';

const KEY = clientKey('z9hG4bKopt1', 'OPTIONS');

function setup(reliable = false, timers: Partial<TransactionTimers> = {}) {
  const ends: TerminationReason[] = [];
  const layer = createTransactionLayer({ timers, onTerminated: (_s, _k, r) => ends.push(r) });
  const target = recordingTarget(reliable);
  const rec = clientInit(KEY, 'OPTIONS', target);
  const tx = layer.createClient(rec.init);
  return { layer, target, rec, tx, ends };
}

beforeEach(useFakeClock);
afterEach(() => { vi.useRealTimers(); });

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('RFC 3261 §17.1.2.2 Timer E doubles from T1 to T2 until Timer F (64*T1) times out (UDP)', () => {
    const { tx, target, rec, ends, layer } = setup();
    expect(tx.state).toBe('trying');
    vi.advanceTimersByTime(31_999);
    expect(target.times()).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(rec.timeouts).toBe(0);
    vi.advanceTimersByTime(1);
    expect(rec.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual(['timeout']);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.2.2 no Timer E on reliable transports; Timer F still fires', () => {
    const { target, rec } = setup(true);
    vi.advanceTimersByTime(31_999);
    expect(target.sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(rec.timeouts).toBe(1);
  });

  it('RFC 3261 §17.1.2.2 Timer E follows configured T1 and T2', () => {
    const { target } = setup(false, { t1: 200, t2: 1000 });
    vi.advanceTimersByTime(5_000);
    expect(target.times()).toEqual([0, 200, 600, 1400, 2400, 3400, 4400]);
  });

  it('RFC 3261 §17.1.2.2 after a provisional, Timer E fires at T2; Timer F still ends the wait', () => {
    const { tx, target, rec, layer } = setup();
    vi.advanceTimersByTime(600);
    layer.clientResponse(KEY, 183, b('183'));
    expect(tx.state).toBe('proceeding');
    layer.clientResponse(KEY, 183, b('183'));
    // the pending Timer E (due at 1500) fires once more, then every T2
    vi.advanceTimersByTime(13_900 - 600);
    expect(target.times()).toEqual([0, 500, 1500, 5500, 9500, 13500]);
    expect(rec.responses).toEqual([[183, '183'], [183, '183']]);
    vi.advanceTimersByTime(32_000 - 13_900);
    expect(rec.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.2.2 a final moves to Completed; retransmitted responses are absorbed; Timer K (T4) ends it (UDP)', () => {
    const { tx, target, rec, layer, ends } = setup();
    vi.advanceTimersByTime(700);
    layer.clientResponse(KEY, 200, b('200'));
    expect(tx.state).toBe('completed');
    expect(layer.clientResponse(KEY, 200, b('200'))).toBe(true);
    expect(layer.clientResponse(KEY, 100, b('100'))).toBe(true);
    expect(rec.responses).toEqual([[200, '200']]);
    vi.advanceTimersByTime(4_999);
    expect(target.sent).toHaveLength(2); // no more Timer E after the final
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual(['done']);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.2.2 Timer K is 0 on reliable transports', () => {
    const { tx, rec, layer } = setup(true);
    layer.clientResponse(KEY, 404, b('404'));
    expect(rec.responses).toEqual([[404, '404']]);
    expect(tx.state).toBe('terminated');
    expect(layer.clientResponse(KEY, 404, b('404'))).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.1.2.2 a non-INVITE final is never ACKed', () => {
    const { target, layer } = setup();
    layer.clientResponse(KEY, 486, b('486'));
    layer.clientResponse(KEY, 486, b('486'));
    expect(target.texts()).toEqual(['OPTIONS sip:x']);
  });

  it('RFC 3261 §17.1.4 a transport error on a Timer E retransmission terminates and informs the core', () => {
    const { tx, target, rec, layer } = setup();
    vi.advanceTimersByTime(600);
    target.fail = true;
    vi.advanceTimersByTime(1_000);
    expect(tx.state).toBe('terminated');
    expect(rec.transportErrors).toBe(1);
    expect(layer.size().client).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §9.1 cancelSent() means nothing to a non-INVITE', () => {
    const { tx } = setup();
    tx.cancelSent();
    vi.advanceTimersByTime(32_000);
    expect(tx.state).toBe('terminated');
  });
});

describe('createClient', () => {
  it('refuses a key already in use (the core must match responses first)', () => {
    const { layer, target } = setup();
    expect(() => layer.createClient(clientInit(KEY, 'OPTIONS', target).init)).toThrow(/exists/);
  });
});
