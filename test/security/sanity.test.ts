import { describe, expect, it } from 'vitest';
import { checkSanity } from '../../src/security/sanity.js';
import { req } from './helpers.js';

describe('sanity (RFC 3261 §16.3 request validation)', () => {
  it('a well-formed request passes', () => {
    expect(checkSanity(req('INVITE'))).toBeUndefined();
    expect(checkSanity(req('INVITE', { uri: 'tel:+14155550100', to: '<tel:+14155550100>' }))).toBeUndefined();
  });

  it('§16.3 step 3: Max-Forwards 0 → 483, except OPTIONS', () => {
    expect(checkSanity(req('INVITE', { maxForwards: 0 }))).toMatchObject({ code: 483, reason: 'too_many_hops' });
    expect(checkSanity(req('OPTIONS', { maxForwards: 0 }))).toBeUndefined();
  });

  it('§8.2.2.1: a Request-URI scheme we cannot route → 416', () => {
    expect(checkSanity(req('INVITE', { uri: 'http://example.com/' }))).toMatchObject({ code: 416 });
  });

  it('From and To must be sip, sips or tel URIs → 400', () => {
    expect(checkSanity(req('INVITE', { from: '<mailto:a@example.com>;tag=1' }))).toMatchObject({ code: 400, reason: 'bad_from' });
    expect(checkSanity(req('INVITE', { to: '<http://example.com>' }))).toMatchObject({ code: 400, reason: 'bad_to' });
    expect(checkSanity(req('INVITE', { to: '<sip:@@>' }))).toMatchObject({ code: 400, reason: 'bad_to' });
  });

  it('§16.3 step 5: any Proxy-Require → 420 with Unsupported', () => {
    expect(checkSanity(req('INVITE', { headers: [['Proxy-Require', 'foo, bar']] }))).toEqual({
      action: 'reject',
      code: 420,
      reason: 'bad_extension',
      headers: [['Unsupported', 'foo, bar']],
    });
  });
});
