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
  it('is undefined for an unknown or empty Call-ID', () => {
    expect(mapReplaces('other@10.0.0.5;to-tag=a;from-tag=b', known)).toBeUndefined();
    expect(mapReplaces(';to-tag=a', known)).toBeUndefined();
  });
});

describe('rewriteReferTo (RFC 3515)', () => {
  it('puts our address in place of the host, drops flow parameters, keeps the user, user parameters, display name and header params', () => {
    const r = rewriteReferTo('"Desk" <sip:2000@10.0.0.5:5080;transport=udp;maddr=10.0.0.6;user=phone;lr>;x=1', udp, known);
    expect(r).toEqual({ ok: true, value: '"Desk" <sip:2000@198.51.100.1:5060;user=phone>;x=1' });
  });
  it('maps an escaped Replaces and keeps other URI headers', () => {
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
  it('leaves tel: and non-SIP targets alone (they name no host of the sender)', () => {
    expect(rewriteReferTo('<tel:+15550002>', udp, known)).toEqual({ ok: true, value: '<tel:+15550002>' });
  });
});

describe('rewriteReferredBy (RFC 3892)', () => {
  it('puts our address in place of the host and drops cid (it points at a token naming the sender)', () => {
    expect(rewriteReferredBy('<sip:op@10.0.0.5:5070>;cid="a@10.0.0.5";x=y', udp)).toBe('<sip:op@198.51.100.1:5060>;x=y');
  });
  it('is undefined when it does not parse, so the caller drops the header', () => {
    expect(rewriteReferredBy('<sip:op@', udp)).toBeUndefined();
  });
});
