import { describe, expect, it } from 'vitest';
import { createSipResolver } from '../../../src/proxy/route/resolve.js';
import { createDnsCache } from '../../../src/proxy/route/dns-cache.js';
import { addr, fakeDns, naptr, srv } from './fake-dns.js';
import { seeded } from './rng.js';

// A carrier zone as RFC 3263 §4 shows it: NAPTR says TLS first, then TCP, then UDP.
const carrier = () =>
  fakeDns({
    naptr: {
      'carrier.example': [
        naptr(50, 50, 'SIP+D2U', '_sip._udp.carrier.example'),
        naptr(50, 10, 'SIP+D2T', '_sip._tcp.carrier.example'),
        naptr(10, 90, 'SIPS+D2T', '_sips._tcp.carrier.example'),
        naptr(5, 5, 'E2U+sip', 'ignored.example'), // not a SIP transport service
      ],
    },
    srv: {
      '_sips._tcp.carrier.example': [srv(0, 0, 5061, 'tls1.carrier.example')],
      '_sip._tcp.carrier.example': [srv(0, 0, 5060, 'tcp1.carrier.example')],
      '_sip._udp.carrier.example': [srv(0, 0, 5060, 'udp1.carrier.example')],
    },
    a: {
      'tls1.carrier.example': [addr('198.51.100.1')],
      'tcp1.carrier.example': [addr('198.51.100.2')],
      'udp1.carrier.example': [addr('198.51.100.3'), addr('198.51.100.4')],
      'carrier.example': [addr('198.51.100.9')],
    },
    aaaa: { 'tls1.carrier.example': [addr('2001:db8::1')] },
  });

describe('RFC 3263 resolution', () => {
  it('uses numeric IPv4 and IPv6 hosts directly, with the transport default port (§4.1, §4.2)', async () => {
    const dns = fakeDns({});
    const r = createSipResolver({ resolver: dns });
    expect(await r.resolve({ host: '192.0.2.10', secure: false })).toEqual([{ address: '192.0.2.10', port: 5060, transport: 'udp' }]);
    expect(await r.resolve({ host: '[2001:db8::5]', secure: false, transport: 'tcp' })).toEqual([
      { address: '2001:db8::5', port: 5060, transport: 'tcp' },
    ]);
    expect(await r.resolve({ host: '2001:db8::5', secure: true })).toEqual([{ address: '2001:db8::5', port: 5061, transport: 'tls' }]);
    expect(await r.resolve({ host: '192.0.2.10', port: 5080, secure: false, transport: 'tls' })).toEqual([
      { address: '192.0.2.10', port: 5080, transport: 'tls' },
    ]);
    expect(dns.queries).toEqual([]);
  });

  it('with an explicit port, looks up A/AAAA only (§4.2)', async () => {
    const dns = carrier();
    const r = createSipResolver({ resolver: dns });
    expect(await r.resolve({ host: 'tls1.carrier.example', port: 5090, secure: false })).toEqual([
      { address: '198.51.100.1', port: 5090, transport: 'udp' },
      { address: '2001:db8::1', port: 5090, transport: 'udp' },
    ]);
    expect(await r.resolve({ host: 'tls1.carrier.example', port: 5091, secure: true, transport: 'tcp' })).toEqual([
      { address: '198.51.100.1', port: 5091, transport: 'tls' },
      { address: '2001:db8::1', port: 5091, transport: 'tls' },
    ]);
    expect(dns.queries.every((q) => q.startsWith('A ') || q.startsWith('AAAA '))).toBe(true);
  });

  it('follows NAPTR (order, then preference) to SRV to A/AAAA (§4.1)', async () => {
    const dns = carrier();
    const r = createSipResolver({ resolver: dns });
    expect(await r.resolve({ host: 'carrier.example', secure: false })).toEqual([
      { address: '198.51.100.1', port: 5061, transport: 'tls' },
      { address: '2001:db8::1', port: 5061, transport: 'tls' },
      { address: '198.51.100.2', port: 5060, transport: 'tcp' },
      { address: '198.51.100.3', port: 5060, transport: 'udp' },
      { address: '198.51.100.4', port: 5060, transport: 'udp' },
    ]);
    expect(dns.queries).not.toContain('SRV ignored.example');
  });

  it('keeps only SIPS+D2T for a sips: URI, and only transports we support', async () => {
    const r = createSipResolver({ resolver: carrier(), ipv6: false });
    expect(await r.resolve({ host: 'carrier.example', secure: true })).toEqual([{ address: '198.51.100.1', port: 5061, transport: 'tls' }]);
    const noTls = createSipResolver({ resolver: carrier(), transports: ['udp', 'tcp'] });
    expect((await noTls.resolve({ host: 'carrier.example', secure: false })).map((h) => h.transport)).toEqual(['tcp', 'udp', 'udp']);
  });

  it('orders SRV records by priority, then weight (RFC 2782)', async () => {
    const dns = fakeDns({
      srv: {
        '_sip._udp.w.example': [
          srv(20, 0, 5070, 'backup.w.example'),
          srv(10, 1, 5060, 'light.w.example'),
          srv(10, 9, 5060, 'heavy.w.example'),
        ],
      },
      a: {
        'backup.w.example': [addr('203.0.113.3')],
        'light.w.example': [addr('203.0.113.1')],
        'heavy.w.example': [addr('203.0.113.2')],
      },
    });
    const random = seeded(11);
    let heavyFirst = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const r = createSipResolver({ resolver: dns, random, ipv6: false });
      const hops = await r.resolve({ host: 'w.example', secure: false, transport: 'udp' });
      expect(hops).toHaveLength(3);
      expect(hops[2]).toEqual({ address: '203.0.113.3', port: 5070, transport: 'udp' });
      if (hops[0]?.address === '203.0.113.2') heavyFirst++;
    }
    expect(heavyFirst / n).toBeGreaterThan(0.85);
    expect(heavyFirst / n).toBeLessThan(0.95);
  });

  it('falls back to SRV when there is no NAPTR, and to A/AAAA when there is no SRV (ENODATA/ENOTFOUND)', async () => {
    const dns = fakeDns({
      srv: { '_sip._tcp.srvonly.example': [srv(0, 0, 5080, 'pbx.srvonly.example')] },
      a: { 'pbx.srvonly.example': [addr('192.0.2.20')], 'bare.example': [addr('192.0.2.30')] },
      aaaa: { 'bare.example': [addr('2001:db8::30')] },
    });
    const r = createSipResolver({ resolver: dns });
    expect(await r.resolve({ host: 'srvonly.example', secure: false })).toEqual([{ address: '192.0.2.20', port: 5080, transport: 'tcp' }]);
    expect(dns.queries.slice(0, 4)).toEqual([
      'NAPTR srvonly.example',
      'SRV _sip._udp.srvonly.example',
      'SRV _sip._tcp.srvonly.example',
      'SRV _sips._tcp.srvonly.example',
    ]);
    expect(await r.resolve({ host: 'bare.example', secure: false })).toEqual([
      { address: '192.0.2.30', port: 5060, transport: 'udp' },
      { address: '2001:db8::30', port: 5060, transport: 'udp' },
    ]);
    expect(await r.resolve({ host: 'BARE.example.', secure: true })).toEqual([
      { address: '192.0.2.30', port: 5061, transport: 'tls' },
      { address: '2001:db8::30', port: 5061, transport: 'tls' },
    ]);
    expect(await r.resolve({ host: 'nowhere.example', secure: false })).toEqual([]);
  });

  it('with a transport but no port, asks SRV for that transport only, then A on its default port (§4.2)', async () => {
    const dns = carrier();
    const r = createSipResolver({ resolver: dns, ipv6: false });
    expect(await r.resolve({ host: 'carrier.example', secure: false, transport: 'tcp' })).toEqual([
      { address: '198.51.100.2', port: 5060, transport: 'tcp' },
    ]);
    expect(await r.resolve({ host: 'tcp1.carrier.example', secure: false, transport: 'tls' })).toEqual([
      { address: '198.51.100.2', port: 5061, transport: 'tls' },
    ]);
    expect(dns.queries.some((q) => q.startsWith('NAPTR'))).toBe(false);
  });

  it('honours the SRV "." target (service not offered) and survives DNS failures', async () => {
    const dns = fakeDns({
      srv: { '_sip._udp.none.example': [srv(0, 0, 0, '.')] },
      a: { 'none.example': [addr('192.0.2.40')] },
      failing: { 'broken.example': 'ETIMEOUT' },
    });
    const r = createSipResolver({ resolver: dns, ipv6: false });
    expect(await r.resolve({ host: 'none.example', secure: false, transport: 'udp' })).toEqual([
      { address: '192.0.2.40', port: 5060, transport: 'udp' },
    ]);
    expect(await r.resolve({ host: 'broken.example', secure: false })).toEqual([]);
    expect(await r.resolve({ host: '', secure: false })).toEqual([]);
  });

  it('caps the work a hostile zone can cause', async () => {
    const many = Array.from({ length: 100 }, (_, i) => srv(0, 1, 5060, `h${i}.big.example`));
    const a = Object.fromEntries(many.map((s, i) => [s.name, [addr(`10.0.${i}.1`)]]));
    const dns = fakeDns({ srv: { '_sip._udp.big.example': many }, a });
    const r = createSipResolver({ resolver: dns, ipv6: false, maxHops: 8 });
    expect(await r.resolve({ host: 'big.example', secure: false, transport: 'udp' })).toHaveLength(8);
    expect(dns.queries.filter((q) => q.startsWith('A ')).length).toBe(8);
  });
});

describe('DNS cache', () => {
  it('keeps address answers for their TTL and SRV/NAPTR for the default TTL', async () => {
    let now = 0;
    const dns = carrier();
    const r = createSipResolver({ resolver: dns, now: () => now, defaultTtlMs: 60_000, negativeTtlMs: 60_000 });
    await r.resolve({ host: 'carrier.example', secure: false });
    const first = dns.queries.length;
    now = 59_000;
    await r.resolve({ host: 'carrier.example', secure: false });
    expect(dns.queries.length).toBe(first);
    now = 61_000; // NAPTR and SRV expired; addresses (TTL 300 s) still cached
    await r.resolve({ host: 'carrier.example', secure: false });
    const again = dns.queries.slice(first);
    expect(again).toContain('NAPTR carrier.example');
    expect(again.some((q) => q.startsWith('A '))).toBe(false);
    now = 301_000;
    await r.resolve({ host: 'carrier.example', secure: false });
    expect(dns.queries.slice(first + again.length)).toContain('A tls1.carrier.example');
  });

  it('remembers negative answers for negativeTtlMs, but never a timeout', async () => {
    let now = 0;
    const dns = fakeDns({ a: { 'bare.example': [addr('192.0.2.30')] }, failing: { 'flaky.example': 'ETIMEOUT' } });
    const r = createSipResolver({ resolver: dns, now: () => now, negativeTtlMs: 10_000, ipv6: false });
    await r.resolve({ host: 'bare.example', secure: false });
    const n = dns.queries.length;
    await r.resolve({ host: 'bare.example', secure: false });
    expect(dns.queries.length).toBe(n);
    now = 10_001;
    await r.resolve({ host: 'bare.example', secure: false });
    expect(dns.queries).toContain('NAPTR bare.example');
    expect(dns.queries.filter((q) => q === 'NAPTR bare.example')).toHaveLength(2);
    await r.resolve({ host: 'flaky.example', secure: false, port: 5060 });
    await r.resolve({ host: 'flaky.example', secure: false, port: 5060 });
    expect(dns.queries.filter((q) => q === 'A flaky.example')).toHaveLength(2);
  });

  it('shares one query among concurrent lookups and stays within maxEntries', async () => {
    const dns = fakeDns({ a: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`n${i}.example`, [addr(`10.1.0.${i}`)]])) });
    const cache = createDnsCache({ resolver: dns, maxEntries: 10 });
    const same = await Promise.all(Array.from({ length: 20 }, () => cache.a('n0.example')));
    expect(same.every((v) => v[0] === '10.1.0.0')).toBe(true);
    expect(dns.queries).toEqual(['A n0.example']);
    for (let i = 0; i < 50; i++) await cache.a(`n${i}.example`);
    expect(cache.size).toBe(10);
    await cache.a('n49.example'); // most recent: still cached
    expect(dns.queries.filter((q) => q === 'A n49.example')).toHaveLength(1);
    await cache.a('n0.example'); // evicted long ago
    expect(dns.queries.filter((q) => q === 'A n0.example')).toHaveLength(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('caps a huge TTL at maxTtlMs', async () => {
    let now = 0;
    const dns = fakeDns({ a: { 'long.example': [addr('192.0.2.50', 86_400 * 7)] } });
    const cache = createDnsCache({ resolver: dns, now: () => now, maxTtlMs: 3_600_000 });
    await cache.a('long.example');
    now = 3_600_001;
    await cache.a('long.example');
    expect(dns.queries).toHaveLength(2);
  });
});
