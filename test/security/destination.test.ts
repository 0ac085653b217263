import { afterEach, describe, expect, it } from 'vitest';
import { createDestinationPolicy, normalizeNumber, type Dialplan } from '../../src/security/destination.js';
import { DEFAULT_DENY } from '../../src/security/premium.js';
import { config, harness, metricValue, req, src, type Harness } from './helpers.js';

const UK: Dialplan = { countryCode: '44', nationalPrefix: '0', internationalPrefix: '00' };
const NANP: Dialplan = { countryCode: '1', nationalPrefix: '1', internationalPrefix: '011' };
const NONE: Dialplan = { countryCode: undefined, nationalPrefix: '0', internationalPrefix: '00' };

describe('E.164 normalization (ITU-T E.164, RFC 3966 §5.1.4 visual separators)', () => {
  it('global numbers, international and national prefixes', () => {
    expect(normalizeNumber('+44 20 7946-0000', UK)).toEqual({ number: '442079460000', e164: true });
    expect(normalizeNumber('00442079460000', UK)).toEqual({ number: '442079460000', e164: true });
    expect(normalizeNumber('02079460000', UK)).toEqual({ number: '442079460000', e164: true });
    expect(normalizeNumber('2079460000', UK)).toEqual({ number: '442079460000', e164: true });
    expect(normalizeNumber('011441234567890', NANP)).toEqual({ number: '441234567890', e164: true });
    expect(normalizeNumber('19005551234', NANP)).toEqual({ number: '19005551234', e164: true });
    expect(normalizeNumber('(900) 555-1234', NANP)).toEqual({ number: '19005551234', e164: true });
    expect(normalizeNumber('%2B4930123456', UK)).toEqual({ number: '4930123456', e164: true });
    expect(normalizeNumber('5551234;phone-context=+1', NANP)).toEqual({ number: '15551234', e164: true });
  });

  it('short codes and numbers the dialplan cannot place are not E.164', () => {
    expect(normalizeNumber('999', UK)).toEqual({ number: '999', e164: false });
    expect(normalizeNumber('1001', UK)).toEqual({ number: '1001', e164: false });
    expect(normalizeNumber('2079460000', NONE)).toEqual({ number: '2079460000', e164: false });
    expect(normalizeNumber('alice', UK)).toBeUndefined();
    expect(normalizeNumber('+12ab', UK)).toBeUndefined();
  });
});

describe('destination rules (issue 4: toll fraud)', () => {
  const policy = (dest: Record<string, unknown> | undefined, global: Record<string, unknown> = {}) => {
    const cfg = config({ security: { destinations: global }, trunks: [{ id: 't', ...(dest ? { destinations: dest } : {}) }] });
    return createDestinationPolicy(cfg, cfg.trunks[0]);
  };

  it('the default list denies premium and IRSF ranges', () => {
    const p = policy(undefined);
    expect(p.decide('19005551234', true)).toMatchObject({ allowed: false, rule: 'default_deny', prefix: '1900' });
    expect(p.decide('88213456789', true)).toMatchObject({ allowed: false, rule: 'default_deny' });
    expect(p.decide('14155550100', true)).toMatchObject({ allowed: true });
    // Every entry is digits and every one is denied.
    for (const d of DEFAULT_DENY) {
      expect(d.prefix).toMatch(/^[0-9]+$/);
      expect(p.decide(`${d.prefix}1234567`, true).allowed).toBe(false);
    }
  });

  it('the default list does not read short codes: 53 is an extension, not Cuba', () => {
    expect(policy(undefined).decide('53', false).allowed).toBe(true);
  });

  it('precedence: the longest prefix wins; on a tie trunk deny > trunk allow > default list', () => {
    const p = policy({ allow: ['+1900555'], deny: ['+1415'] });
    expect(p.decide('19005551234', true)).toMatchObject({ allowed: true, rule: 'allow' }); // longer allow beats default 1900
    expect(p.decide('19006661234', true)).toMatchObject({ allowed: false, rule: 'default_deny' });
    const q = policy({ allow: ['1900', '44'], deny: ['44'] });
    expect(q.decide('19001234567', true)).toMatchObject({ allowed: true, rule: 'allow' }); // trunk allow beats default on a tie
    expect(q.decide('441234567890', true)).toMatchObject({ allowed: false, rule: 'deny' }); // trunk deny beats allow on a tie
  });

  it('a non-empty allow list refuses everything else', () => {
    const p = policy({ allow: ['+44'] });
    expect(p.decide('442079460000', true).allowed).toBe(true);
    expect(p.decide('14155550100', true)).toMatchObject({ allowed: false, rule: 'not_in_allow_list' });
  });

  it('defaultDeny: false drops the built-in list; security.destinations.deny adds to it', () => {
    expect(policy({ defaultDeny: false }).decide('19005551234', true).allowed).toBe(true);
    expect(policy(undefined, { deny: ['+4930'] }).decide('4930123456', true).allowed).toBe(false);
  });
});

describe('destination policy in check', () => {
  let h: Harness;
  afterEach(() => h?.pipeline.close());

  it('403 for a denied number, counted; the trunk dialplan normalizes first', async () => {
    h = harness({ trunks: [{ id: 'uk', sources: [{ cidr: '192.0.2.0/24' }], destinations: { countryCode: '44' } }] });
    const denied = await h.pipeline.check(req('INVITE', { uri: 'sip:09061234567@sbc.example.com' }), src('192.0.2.1'));
    expect(denied).toEqual({ action: 'reject', code: 403, reason: 'destination_denied' });
    const ok = await h.pipeline.check(req('INVITE', { uri: 'sip:02079460000@sbc.example.com' }), src('192.0.2.1'));
    expect(ok.action).toBe('accept');
    const emergency = await h.pipeline.check(req('INVITE', { uri: 'tel:999' }), src('192.0.2.1'));
    expect(emergency.action).toBe('accept');
    expect(await metricValue(h.metrics, 'palisade_security_rejects_total', { reason: 'destination_denied', code: '403' })).toBe(1);
    // A denied number takes no call slot: two admitted calls, two slots.
    expect(h.store.shareTotal('calls:uk')).toBe(2);
  });
});
