import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTransactionLayer, serverKey } from '../../../src/proxy/transaction/index.js';
import type { TerminationReason } from '../../../src/proxy/transaction/index.js';
import { b, recordingTarget, useFakeClock } from './helpers.js';

const KEY = serverKey('z9hG4bKbye1', '192.0.2.1:5060', 'BYE');

function setup(reliable = false) {
  const ends: Array<[string, string, TerminationReason]> = [];
  const layer = createTransactionLayer({ onTerminated: (side, k, r) => ends.push([side, k, r]) });
  const target = recordingTarget(reliable);
  const tx = layer.createServer({ key: KEY, method: 'BYE', target });
  return { layer, target, tx, ends };
}

beforeEach(useFakeClock);
afterEach(() => { vi.useRealTimers(); });

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('RFC 3261 §17.2.2 starts in Trying and absorbs retransmissions without answering', () => {
    const { tx, layer, target } = setup();
    expect(tx.state).toBe('trying');
    expect(layer.serverRetransmission(KEY, 'BYE')).toBe(true);
    expect(target.sent).toHaveLength(0);
  });

  it('RFC 3261 §17.2.2 a provisional moves to Proceeding; retransmissions get it again', () => {
    const { tx, layer, target } = setup();
    expect(tx.respond(183, b('183'))).toBe(true);
    expect(tx.state).toBe('proceeding');
    layer.serverRetransmission(KEY, 'BYE');
    expect(target.texts()).toEqual(['183', '183']);
  });

  it('RFC 4320 §4.1 a 100 Trying is never sent to a non-INVITE', () => {
    const { tx, target } = setup();
    expect(tx.respond(100, b('100'))).toBe(false);
    expect(target.sent).toHaveLength(0);
    expect(tx.state).toBe('trying');
  });

  it('RFC 3261 §17.2.2 Completed re-sends the final for each retransmission; Timer J (64*T1) ends it on UDP', () => {
    const { tx, layer, target, ends } = setup();
    tx.respond(200, b('200 OK'));
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(10_000);
    expect(layer.serverRetransmission(KEY, 'BYE')).toBe(true);
    expect(target.texts()).toEqual(['200 OK', '200 OK']);
    // the layer itself never retransmits a non-INVITE response
    vi.advanceTimersByTime(21_999);
    expect(target.sent).toHaveLength(2);
    expect(tx.state).toBe('completed');
    vi.advanceTimersByTime(1);
    expect(tx.state).toBe('terminated');
    expect(ends).toEqual([['server', KEY, 'done']]);
    expect(layer.serverRetransmission(KEY, 'BYE')).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 3261 §17.2.2 Timer J is 0 on reliable transports', () => {
    const { tx, layer, target } = setup(true);
    expect(tx.respond(481, b('481'))).toBe(true);
    expect(target.texts()).toEqual(['481']);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('RFC 4320 §4.2 a 408 to a non-INVITE is not sent, but completes the transaction silently', () => {
    const { tx, layer, target } = setup();
    tx.respond(183, b('183'));
    expect(tx.respond(408, b('408'))).toBe(false);
    expect(tx.state).toBe('completed');
    // retransmissions are absorbed with nothing re-sent, not even the old provisional
    expect(layer.serverRetransmission(KEY, 'BYE')).toBe(true);
    expect(target.texts()).toEqual(['183']);
    vi.advanceTimersByTime(32_000);
    expect(layer.size().server).toBe(0);
  });

  it('RFC 3261 §17.2.2 a second final in Completed is dropped', () => {
    const { tx, target } = setup();
    tx.respond(200, b('200'));
    expect(tx.respond(500, b('500'))).toBe(false);
    expect(target.texts()).toEqual(['200']);
  });

  it('RFC 3261 §17.2.2 an ACK never matches a non-INVITE transaction', () => {
    const { layer } = setup();
    const ackKey = serverKey('z9hG4bKbye1', '192.0.2.1:5060', 'ACK');
    expect(ackKey).not.toBe(KEY);
    expect(layer.serverRetransmission(ackKey, 'ACK')).toBe(false);
  });

  it('RFC 3261 §17.2.4 a transport error terminates', () => {
    const { tx, target, layer, ends } = setup();
    target.fail = true;
    expect(tx.respond(200, b('200'))).toBe(false);
    expect(tx.state).toBe('terminated');
    expect(ends[0]?.[2]).toBe('transport-error');
    expect(layer.size().server).toBe(0);
  });
});

describe('CANCEL is a transaction of its own (RFC 3261 §9.2)', () => {
  it('RFC 3261 §9.2 CANCEL with the INVITE\'s branch gets its own server transaction and Timer J', () => {
    const layer = createTransactionLayer();
    const target = recordingTarget();
    const inviteKey = serverKey('z9hG4bKc1', 'ua.example:5060', 'INVITE');
    const cancelKey = serverKey('z9hG4bKc1', 'ua.example:5060', 'CANCEL');
    expect(cancelKey).not.toBe(inviteKey);
    const invite = layer.createServer({ key: inviteKey, method: 'INVITE', target });
    invite.respond(180, b('180'));
    const cancel = layer.createServer({ key: cancelKey, method: 'CANCEL', target });
    expect(layer.size().server).toBe(2);
    // the core finds the INVITE to cancel by its key
    expect(layer.findServer(serverKey('z9hG4bKc1', 'UA.example:5060', 'INVITE'))).toBe(invite);
    cancel.respond(200, b('200 CANCEL'));
    invite.respond(487, b('487'));
    expect(cancel.state).toBe('completed');
    expect(invite.state).toBe('completed');
    // a retransmitted CANCEL gets the CANCEL's 200, not the 487
    layer.serverRetransmission(cancelKey, 'CANCEL');
    expect(target.texts().at(-1)).toBe('200 CANCEL');
    layer.serverRetransmission(inviteKey, 'ACK');
    vi.advanceTimersByTime(32_000);
    expect(layer.size().server).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
