import { describe, expect, it } from 'vitest';
import { clientKey, hasMagicCookie, legacyServerKey, serverKey } from '../../../src/proxy/transaction/index.js';

describe('transaction keys', () => {
  it('RFC 3261 §17.2.3 server key: branch, sent-by and method, ACK mapped to INVITE', () => {
    const invite = serverKey('z9hG4bK1', 'a.example:5060', 'INVITE');
    expect(serverKey('z9hG4bK1', 'a.example:5060', 'ACK')).toBe(invite);
    expect(serverKey('z9hG4bK1', 'a.example:5060', 'CANCEL')).not.toBe(invite);
    expect(serverKey('z9hG4bK1', 'b.example:5060', 'INVITE')).not.toBe(invite);
    expect(serverKey('z9hG4bK2', 'a.example:5060', 'INVITE')).not.toBe(invite);
    expect(serverKey('z9hG4bK1', 'a.example:5070', 'INVITE')).not.toBe(invite);
  });

  it('RFC 3261 §17.2.3 sent-by hosts compare case-insensitively, branches exactly', () => {
    expect(serverKey('z9hG4bK1', 'A.Example:5060', 'BYE')).toBe(serverKey('z9hG4bK1', 'a.example:5060', 'BYE'));
    expect(serverKey('z9hG4bKa', 'a.example', 'BYE')).not.toBe(serverKey('z9hG4bKA', 'a.example', 'BYE'));
  });

  it('RFC 3261 §17.2.3 fields cannot run into each other', () => {
    expect(serverKey('z9hG4bKab', 'c', 'BYE')).not.toBe(serverKey('z9hG4bKa', 'bc', 'BYE'));
  });

  it('RFC 3261 §17.1.3 client key: branch and CSeq method; CANCEL apart from its INVITE', () => {
    expect(clientKey('z9hG4bKx', 'INVITE')).not.toBe(clientKey('z9hG4bKx', 'CANCEL'));
    expect(clientKey('z9hG4bKx', 'INVITE')).toBe(clientKey('z9hG4bKx', 'INVITE'));
  });

  it('RFC 3261 §17.2.3 RFC 2543 fallback key: the ACK finds its INVITE, other requests do not', () => {
    const base = { callId: 'c1@h', cseq: 1, fromTag: 'f1', topVia: 'SIP/2.0/UDP h:5060' };
    const invite = legacyServerKey({ ...base, method: 'INVITE' });
    expect(legacyServerKey({ ...base, method: 'ACK' })).toBe(invite);
    expect(legacyServerKey({ ...base, method: 'CANCEL' })).not.toBe(invite);
    expect(legacyServerKey({ ...base, cseq: 2, method: 'INVITE' })).not.toBe(invite);
    expect(invite).not.toBe(serverKey('c1@h', 'h:5060', 'INVITE'));
  });

  it('RFC 3261 §8.1.1.7 the magic cookie tells which key applies', () => {
    expect(hasMagicCookie('z9hG4bK776asdhds')).toBe(true);
    expect(hasMagicCookie('776asdhds')).toBe(false);
  });
});
