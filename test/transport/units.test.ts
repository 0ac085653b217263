import { describe, expect, it } from 'vitest';
import { canonicalAddress, connectFrom, defaultListenerId, mapForFamily, reachableFrom, uniqueIds, unmapAddress } from '../../src/transport/address.js';
import { createAdmission } from '../../src/transport/limits.js';
import { isKeepAliveDatagram } from '../../src/transport/udp.js';
import { resolveListeners } from '../../src/transport/manager.js';
import { testConfig } from './helpers.js';

describe('addresses', () => {
  it('unmaps IPv4-mapped IPv6 and leaves everything else alone', () => {
    expect(unmapAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(unmapAddress('::FFFF:10.0.0.1')).toBe('10.0.0.1');
    expect(unmapAddress('::ffff:abcd')).toBe('::ffff:abcd');
    expect(unmapAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(unmapAddress('192.0.2.1')).toBe('192.0.2.1');
  });

  it('maps IPv4 back for an IPv6 socket only', () => {
    expect(mapForFamily('192.0.2.1', 6)).toBe('::ffff:192.0.2.1');
    expect(mapForFamily('192.0.2.1', 4)).toBe('192.0.2.1');
    expect(mapForFamily('::1', 6)).toBe('::1');
  });

  it('writes destination addresses the way sockets report them', () => {
    expect(canonicalAddress('192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(canonicalAddress('::ffff:c000:0201')).toBe('192.0.2.1');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(canonicalAddress('sip.example.com')).toBeUndefined();
  });

  it('knows which destinations a listener can connect to, and from where', () => {
    expect(reachableFrom('10.0.0.5', 4, '192.0.2.1')).toBe(true);
    expect(reachableFrom('10.0.0.5', 4, '2001:db8::1')).toBe(false);
    expect(reachableFrom('::', 6, '192.0.2.1')).toBe(true);
    expect(reachableFrom('2001:db8::5', 6, '192.0.2.1')).toBe(false);
    expect(reachableFrom('2001:db8::5', 6, '2001:db8::1')).toBe(true);
    expect(connectFrom('0.0.0.0')).toBeUndefined();
    expect(connectFrom('::')).toBeUndefined();
    expect(connectFrom('10.0.0.5')).toBe('10.0.0.5');
  });

  it('builds sanitized default ids and de-duplicates them', () => {
    expect(defaultListenerId('external', { transport: 'tls', address: 'fe80::1%eth0' })).toBe('external-tls-fe80__1_eth0-5061');
    expect(uniqueIds(['a', 'b', 'a', 'a'])).toEqual(['a', 'b', 'a-2', 'a-3']);
  });

  it('refuses two configured listeners with the same id', async () => {
    const cfg = testConfig({ realms: { external: { listeners: [{ id: 'x', transport: 'udp' }] }, internal: { listeners: [{ id: 'x', transport: 'tcp' }] } } });
    await expect(resolveListeners(cfg, '/')).rejects.toThrow(/duplicate listener ids: x/);
  });

  it('resolves TLS paths against baseDir and reads the CA only when client certificates are checked', async () => {
    const cfg = testConfig({
      realms: { external: { listeners: [{ id: 'a', transport: 'tls' }, { id: 'b', transport: 'tls', tls: { clientCert: 'request', caFile: '/etc/ca.pem' } }] } },
    });
    const [a, b] = await resolveListeners(cfg, '/srv/palisade');
    expect(a?.tls).toEqual({
      clientCert: 'none',
      files: { certFile: '/srv/palisade/certs/server.crt', keyFile: '/srv/palisade/certs/server.key' },
      // The client side always knows the CA file: it is trusted for servers we connect to.
      client: { verifyServer: true, caFile: '/srv/palisade/certs/ca.crt' },
    });
    expect(b?.tls?.files.caFile).toBe('/etc/ca.pem');
    expect(b?.tls?.client.caFile).toBe('/etc/ca.pem');
    expect(a?.port).toBe(5061);
  });
});

describe('connection admission', () => {
  it('counts outbound connections in the total only', () => {
    const adm = createAdmission({ maxConnections: 2, maxConnectionsPerIp: 1 });
    expect(adm.admitOutbound()).toBe('ok');
    expect(adm.admit('192.0.2.1')).toBe('ok');
    expect(adm.admitOutbound()).toBe('conn_limit');
    expect(adm.admit('192.0.2.2')).toBe('conn_limit');
    adm.releaseOutbound();
    expect(adm.total()).toBe(1);
    expect(adm.admit('192.0.2.2')).toBe('ok');
  });

  it('caps per address and in total, and frees slots on release', () => {
    const adm = createAdmission({ maxConnections: 3, maxConnectionsPerIp: 2 });
    expect([adm.admit('a'), adm.admit('a'), adm.admit('a')]).toEqual(['ok', 'ok', 'per_ip_limit']);
    expect([adm.admit('b'), adm.admit('c')]).toEqual(['ok', 'conn_limit']);
    adm.release('a');
    expect(adm.admit('c')).toBe('ok');
    expect(adm.total()).toBe(3);
    adm.release('unknown'); // never admitted: no effect
    expect(adm.total()).toBe(3);
  });
});

describe('UDP keep-alive datagrams', () => {
  it('are only CR/LF bytes', () => {
    expect(isKeepAliveDatagram(Buffer.from('\r\n\r\n'))).toBe(true);
    expect(isKeepAliveDatagram(Buffer.from('\r\n'))).toBe(true);
    expect(isKeepAliveDatagram(Buffer.from('\r\nX'))).toBe(false);
  });
});
