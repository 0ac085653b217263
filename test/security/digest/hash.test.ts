import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestResponse, ha1, parseAlgorithm, userhash } from '../../../src/security/digest/index.js';

// RFC 7616 §3.9.1 inputs. Note the password: "Circle of Life" (lowercase "of"), unlike
// RFC 2617 §3.5's "Circle Of Life" — mixing them up is the classic way to "find" an erratum.
const R = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  method: 'GET',
  uri: '/dir/index.html',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth' as const,
};

const h = (alg: string, s: string | Buffer): string => createHash(alg).update(s).digest('hex');

describe('digest arithmetic', () => {
  it('RFC 7616 §3.9.1: MD5 response matches the printed value', () => {
    const r = digestResponse({ ...R, algorithm: 'MD5', ha1: ha1('MD5', R.username, R.realm, R.password) });
    expect(r).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 7616 §3.9.1: SHA-256 response matches the printed value', () => {
    const r = digestResponse({ ...R, algorithm: 'SHA-256', ha1: ha1('SHA-256', R.username, R.realm, R.password) });
    expect(r).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });

  it('RFC 7616 §3.4.1 / RFC 8760 §2: SHA-512-256 agrees with an independent computation', () => {
    const a1 = h('sha512-256', `${R.username}:${R.realm}:${R.password}`);
    const a2 = h('sha512-256', `${R.method}:${R.uri}`);
    const want = h('sha512-256', [a1, R.nonce, R.nc, R.cnonce, R.qop, a2].join(':'));
    expect(ha1('SHA-512-256', R.username, R.realm, R.password)).toBe(a1);
    expect(digestResponse({ ...R, algorithm: 'SHA-512-256', ha1: a1 })).toBe(want);
    expect(want).toHaveLength(64);
  });

  it('RFC 2617 §3.5: MD5 qop=auth example', () => {
    const r = digestResponse({
      algorithm: 'MD5',
      ha1: ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'),
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      method: 'GET',
      uri: '/dir/index.html',
      qop: 'auth',
      cnonce: '0a4f113b',
      nc: '00000001',
    });
    expect(r).toBe('6629fae49393a05397450978507c4ef1');
  });

  it('RFC 2617 §3.2.2.1: without qop, response = H(HA1:nonce:HA2)', () => {
    const a1 = ha1('MD5', 'alice', 'r', 'pw');
    const want = h('md5', `${a1}:n1:${h('md5', 'REGISTER:sip:example.com')}`);
    expect(digestResponse({ algorithm: 'MD5', ha1: a1, nonce: 'n1', method: 'REGISTER', uri: 'sip:example.com' })).toBe(want);
  });

  it('RFC 7616 §3.4.2: -sess rehashes HA1 with nonce and cnonce', () => {
    const a1 = ha1('SHA-256-sess', 'alice', 'r', 'pw');
    expect(a1).toBe(h('sha256', 'alice:r:pw'));
    const sessA1 = h('sha256', `${a1}:n:c`);
    const want = h('sha256', `${sessA1}:n:00000001:c:auth:${h('sha256', 'INVITE:sip:b@x')}`);
    const got = digestResponse({ algorithm: 'SHA-256-sess', ha1: a1, nonce: 'n', cnonce: 'c', nc: '00000001', qop: 'auth', method: 'INVITE', uri: 'sip:b@x' });
    expect(got).toBe(want);
  });

  it('RFC 7616 §3.4.3: auth-int hashes the body into HA2', () => {
    const body = Buffer.from('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
    const a1 = ha1('MD5', 'alice', 'r', 'pw');
    const a2 = h('md5', `INVITE:sip:b@x:${h('md5', body)}`);
    const want = h('md5', `${a1}:n:00000001:c:auth-int:${a2}`);
    expect(digestResponse({ algorithm: 'MD5', ha1: a1, nonce: 'n', cnonce: 'c', nc: '00000001', qop: 'auth-int', method: 'INVITE', uri: 'sip:b@x', body })).toBe(want);
    // An absent body hashes as an empty one.
    const empty = h('md5', `${a1}:n:00000001:c:auth-int:${h('md5', `INVITE:sip:b@x:${h('md5', '')}`)}`);
    expect(digestResponse({ algorithm: 'MD5', ha1: a1, nonce: 'n', cnonce: 'c', nc: '00000001', qop: 'auth-int', method: 'INVITE', uri: 'sip:b@x' })).toBe(empty);
  });

  it('RFC 7616 §3.4.4: userhash = H(username:realm)', () => {
    expect(userhash('SHA-256', 'Mufasa', 'http-auth@example.org')).toBe(h('sha256', 'Mufasa:http-auth@example.org'));
  });

  it('RFC 2617 §3.2.1: algorithm defaults to MD5 and compares case-insensitively', () => {
    expect(parseAlgorithm(undefined)).toBe('MD5');
    expect(parseAlgorithm('sha-256')).toBe('SHA-256');
    expect(parseAlgorithm('SHA-512-256-SESS')).toBe('SHA-512-256-sess');
    expect(parseAlgorithm('SHA-1')).toBeUndefined();
    expect(parseAlgorithm('AKAv1-MD5')).toBeUndefined();
  });
});
