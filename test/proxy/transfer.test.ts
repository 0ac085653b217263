// Refer-To, Replaces and Referred-By rewriting (src/proxy/transfer.ts), value by value.
import { describe, expect, it } from 'vitest';
import { mapReplaces, rewriteReferredBy, rewriteReferTo, type OurAddress } from '../../src/proxy/transfer.js';

const udp: OurAddress = { host: '198.51.100.1', port: 5060, transport: 'udp' };
const known = (id: string): string | undefined => (id === 'in@10.0.0.5' ? 'out-123' : undefined);

describe('mapReplaces (RFC 3891)', () => {
  it('maps the Call-ID and keeps the tags and other parameters', () => {
    expect(mapReplaces('in@10.0.0.5;to-tag=a;from-tag=b;early-only', known)).toBe('out-123;to-tag=a;from-tag=b;early-only');
    expect(mapReplaces(' in@10.0.0.5 ', known)).toBe('out-123');
  });
  it('is undefined for an unknown or empty Call-ID, and for more than one value (the second would cross unmapped)', () => {
    expect(mapReplaces('other@10.0.0.5;to-tag=a;from-tag=b', known)).toBeUndefined();
    expect(mapReplaces(';to-tag=a', known)).toBeUndefined();
    expect(mapReplaces('in@10.0.0.5;to-tag=a;from-tag=b, other@10.0.0.5;to-tag=c;from-tag=d', known)).toBeUndefined();
  });
});

describe('rewriteReferTo (RFC 3515)', () => {
  it('puts our address in place of the host and keeps only the user, display name and user/method parameters', () => {
    const r = rewriteReferTo('"Desk" <sip:2000@10.0.0.5:5080;transport=udp;maddr=10.0.0.6;x-host=10.0.0.7;user=phone;method=INVITE;lr>;x=10.0.0.8', udp, known);
    expect(r).toEqual({ ok: true, value: '"Desk" <sip:2000@198.51.100.1:5060;user=phone;method=INVITE>' });
  });
  it('drops URI headers other than Replaces and Require (an embedded Route or Referred-By would carry hosts)', () => {
    const r = rewriteReferTo('<sip:bob@10.0.0.5?Referred-By=%3Csip%3Aalice%4010.0.0.9%3E&Route=%3Csip%3A10.0.0.7%3Blr%3E&Require=replaces>', udp, known);
    expect(r).toEqual({ ok: true, value: '<sip:bob@198.51.100.1:5060?Require=replaces>' });
  });
  it('maps an escaped Replaces and keeps Require', () => {
    const r = rewriteReferTo('<sip:2000@10.0.0.5?Require=replaces&Replaces=in%4010.0.0.5%3Bto-tag%3Da%3Bfrom-tag%3Db>', udp, known);
    expect(r).toEqual({ ok: true, value: '<sip:2000@198.51.100.1:5060?Require=replaces&Replaces=out-123%3Bto-tag%3Da%3Bfrom-tag%3Db>' });
  });
  it('refuses a Replaces naming an unknown dialog, and a value that does not parse, with 400', () => {
    expect(rewriteReferTo('<sip:2000@10.0.0.5?Replaces=zzz%3Bto-tag%3Da>', udp, known)).toMatchObject({ ok: false, status: 400 });
    expect(rewriteReferTo('<sip:2000@10.0.0.5', udp, known)).toMatchObject({ ok: false, status: 400 });
  });
  it('names the transport our listener on that side speaks; sips: only over TLS; IPv6 in brackets', () => {
    expect(rewriteReferTo('<sip:2000@10.0.0.5>', { host: '198.51.100.1', port: 5062, transport: 'tcp' }, known)).toEqual({ ok: true, value: '<sip:2000@198.51.100.1:5062;transport=tcp>' });
    expect(rewriteReferTo('<sips:2000@pbx.internal>', { host: '2001:db8::1', port: 5061, transport: 'tls' }, known)).toEqual({ ok: true, value: '<sips:2000@[2001:db8::1]:5061;transport=tls>' });
    expect(rewriteReferTo('<sips:2000@pbx.internal>', udp, known)).toEqual({ ok: true, value: '<sip:2000@198.51.100.1:5060>' });
  });
  it('keeps a tel: target\'s number; refuses other schemes with 416 (an http: URI could name anything)', () => {
    expect(rewriteReferTo('<tel:+15550002>;x=1', udp, known)).toEqual({ ok: true, value: '<tel:+15550002>' });
    expect(rewriteReferTo('<http://10.0.0.5/x>', udp, known)).toMatchObject({ ok: false, status: 416 });
  });
});

describe('rewriteReferredBy (RFC 3892)', () => {
  it('puts our address in place of the host and drops header parameters (cid points at a token naming the sender)', () => {
    expect(rewriteReferredBy('<sip:op@10.0.0.5:5070;x-host=10.0.0.5>;cid="a@10.0.0.5";x=y', udp)).toBe('<sip:op@198.51.100.1:5060>');
  });
  it('is undefined when it does not parse or is not sip/sips/tel, so the caller drops the header', () => {
    expect(rewriteReferredBy('<sip:op@', udp)).toBeUndefined();
    expect(rewriteReferredBy('<http://10.0.0.9>', udp)).toBeUndefined();
  });
});
