// Step 1 end to end: a real Palisade instance on loopback answering OPTIONS pings on
// every transport (SIPp for UDP and TCP, a Node TLS client for TLS), refusing bad
// input with clear answers, and exporting what happened on /metrics.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { runSipp } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';
import { sipRequest, tcpPeer, tlsPeer, udpExchange } from '../helpers/sipclient.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const hasPromtool = haveTool('promtool', 'prometheus');
const scenario = join(import.meta.dirname, '..', 'scenarios', 'options.xml');

let sbc: Palisade;
const port = (id: string) => {
  const l = sbc.transports.listeners().find((x) => x.id === id);
  if (!l) throw new Error(`no listener ${id}`);
  return l.port;
};
const statusLine = (b: Buffer | string) => b.toString().split('\r\n', 1)[0];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-step1-'));
  const config = configSchema.parse({
    // the test peers are a trunk identified by source address (the security pipeline
    // challenges everyone else)
    trunks: [{ id: 'lab', sources: [{ cidr: '127.0.0.0/8' }, { cidr: '::1/128' }] }],
    log: { level: 'silent' },
    http: { port: 0 },
    transport: { tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), caFile: join(dir, 'ca.crt'), watch: false } },
    realms: {
      external: {
        hostnames: ['sbc.example.net'],
        listeners: [
          { id: 'udp4', transport: 'udp', address: '127.0.0.1', port: 0 },
          { id: 'tcp4', transport: 'tcp', address: '127.0.0.1', port: 0 },
          { id: 'tls4', transport: 'tls', address: '127.0.0.1', port: 0 },
          { id: 'udp6', transport: 'udp', address: '::1', port: 0 },
          { id: 'tcp6', transport: 'tcp', address: '::1', port: 0 },
          { id: 'tls6', transport: 'tls', address: '::1', port: 0 },
        ],
      },
    },
  });
  sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await sbc?.stop();
});

describe('OPTIONS ping to the SBC itself answers 200 on every transport', () => {
  it.skipIf(!hasSipp)('SIPp over UDP/IPv4', async () => {
    const r = await runSipp({ scenario, target: `127.0.0.1:${port('udp4')}`, calls: 20, rate: 100 });
    expect(r.successful, r.stderr).toBe(20);
    expect(r.failed).toBe(0);
  });
  it.skipIf(!hasSipp)('SIPp over TCP/IPv4', async () => {
    const r = await runSipp({ scenario, target: `127.0.0.1:${port('tcp4')}`, transport: 't1', calls: 20, rate: 100 });
    expect(r.successful, r.stderr).toBe(20);
  });
  it.skipIf(!hasSipp)('SIPp over UDP/IPv6', async () => {
    const r = await runSipp({ scenario, target: `[::1]:${port('udp6')}`, localIp: '::1', calls: 5, rate: 50 });
    expect(r.successful, r.stderr).toBe(5);
  });
  it.skipIf(!hasSipp)('SIPp over TCP/IPv6', async () => {
    const r = await runSipp({ scenario, target: `[::1]:${port('tcp6')}`, localIp: '::1', transport: 't1', calls: 5, rate: 50 });
    expect(r.successful, r.stderr).toBe(5);
  });
  for (const [id, host] of [['tls4', '127.0.0.1'], ['tls6', '::1']] as const) {
    it(`TLS client over ${id}`, async () => {
      const peer = await tlsPeer(host, port(id), { rejectUnauthorized: false, minVersion: 'TLSv1.2' });
      const h = host.includes(':') ? `[${host}]` : host;
      peer.write(sipRequest({ uri: `sip:${h}:${port(id)};transport=tls`, transport: 'TLS' }));
      const got = await peer.waitFor((s) => s.includes('\r\n\r\n'));
      expect(statusLine(got)).toBe('SIP/2.0 200 OK');
      expect(got).toMatch(/\r\nAllow: [^\r]*OPTIONS/);
      peer.close();
    });
  }
  it('accepts a configured host name and answers over UDP to the source port (rport)', async () => {
    const got = await udpExchange('127.0.0.1', port('udp4'), sipRequest({ uri: 'sip:SBC.example.net' }));
    expect(got.length).toBe(1);
    const text = got[0]!.toString('latin1');
    expect(statusLine(text)).toBe('SIP/2.0 200 OK');
    // RFC 3581: received and rport are filled in on the top Via of the response
    expect(text).toMatch(/\r\nVia: SIP\/2.0\/UDP 192\.0\.2\.10:5099;branch=z9hG4bK-[^;\r]+;rport=\d+;received=127\.0\.0\.1\r\n|\r\nVia: SIP\/2.0\/UDP 192\.0\.2\.10:5099;branch=z9hG4bK-[^;\r]+;received=127\.0\.0\.1;rport=\d+\r\n/);
    expect(text).toMatch(/\r\nTo: <sip:SBC\.example\.net>;tag=[^\r]+\r\n/);
  });
});

describe('anything it cannot route yet gets a definite answer', () => {
  it('INVITE to a user: 404 over TCP, on the same connection', async () => {
    const peer = await tcpPeer('127.0.0.1', port('tcp4'));
    peer.write(sipRequest({ method: 'INVITE', uri: 'sip:+15551234567@127.0.0.1', transport: 'TCP' }));
    const got = await peer.waitFor((s) => s.includes('\r\n\r\n'));
    expect(statusLine(got)).toBe('SIP/2.0 404 Not Found');
    peer.close();
  });
  it('an unknown method: 501 with Allow', async () => {
    const got = await udpExchange('127.0.0.1', port('udp4'), sipRequest({ method: 'FROBNICATE', uri: 'sip:127.0.0.1' }).replace('CSeq: 1 FROBNICATE', 'CSeq: 1 FROBNICATE'));
    expect(statusLine(got[0]!)).toBe('SIP/2.0 501 Not Implemented');
    expect(got[0]!.toString()).toMatch(/\r\nAllow: /);
  });
  it('ACK is absorbed without any answer', async () => {
    const got = await udpExchange('127.0.0.1', port('udp4'), sipRequest({ method: 'ACK', uri: 'sip:127.0.0.1' }), 300);
    expect(got).toEqual([]);
  });
  it('CANCEL with no transaction: 481', async () => {
    const got = await udpExchange('127.0.0.1', port('udp4'), sipRequest({ method: 'CANCEL', uri: 'sip:1000@127.0.0.1' }));
    expect(statusLine(got[0]!)).toBe('SIP/2.0 481 Call/Transaction Does Not Exist');
  });
});

describe('malformed input is refused with a reason or dropped, and counted', () => {
  it('missing Call-ID: no response can be formed (RFC 3261 §8.2.6 copies it), so it is dropped and counted', async () => {
    const req = sipRequest({ uri: 'sip:127.0.0.1' }).replace(/Call-ID: [^\r]+\r\n/, '');
    const got = await udpExchange('127.0.0.1', port('udp4'), req, 300);
    expect(got).toEqual([]);
    const text = await (await fetch(`http://127.0.0.1:${sbc.http!.port}/metrics`)).text();
    expect(text).toMatch(/palisade_sip_parse_errors_total\{reason="missing_header"\} [1-9]/);
  });
  it('bad CSeq: 400 naming the problem', async () => {
    const req = sipRequest({ uri: 'sip:127.0.0.1' }).replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS');
    const got = await udpExchange('127.0.0.1', port('udp4'), req);
    expect(statusLine(got[0]!)).toMatch(/^SIP\/2\.0 400 Bad Request \(.*\)$/i);
  });
  it('unsupported SIP version: 505', async () => {
    const req = sipRequest({ uri: 'sip:127.0.0.1' }).replace('OPTIONS sip:127.0.0.1 SIP/2.0', 'OPTIONS sip:127.0.0.1 SIP/7.0');
    const got = await udpExchange('127.0.0.1', port('udp4'), req);
    expect(statusLine(got[0]!)).toBe('SIP/2.0 505 Version Not Supported');
  });
  it('binary garbage: no answer', async () => {
    const got = await udpExchange('127.0.0.1', port('udp4'), Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x01]), 300);
    expect(got).toEqual([]);
  });
  it('a datagram over the UDP size limit is not processed as a message', async () => {
    const big = sipRequest({ uri: 'sip:127.0.0.1', extra: [`X-Pad: ${'a'.repeat(20_000)}`] });
    const got = await udpExchange('127.0.0.1', port('udp4'), big, 400);
    for (const g of got) expect(statusLine(g)).toMatch(/^SIP\/2\.0 (513|400) /);
  });
  it('the parse errors appear in /metrics by reason', async () => {
    const text = await (await fetch(`http://127.0.0.1:${sbc.http!.port}/metrics`)).text();
    expect(text).toMatch(/palisade_sip_parse_errors_total\{reason="bad_cseq"\} [1-9]/);
    expect(text).toMatch(/palisade_sip_parse_errors_total\{reason="bad_version"\} [1-9]/);
  });
});

describe('operator endpoints', () => {
  it('/health and /ready answer 200', async () => {
    const base = `http://127.0.0.1:${sbc.http!.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
  it('/metrics counts messages by realm, transport, direction and kind', async () => {
    const text = await (await fetch(`http://127.0.0.1:${sbc.http!.port}/metrics`)).text();
    expect(text).toMatch(/palisade_sip_messages_total\{realm="external",transport="udp",direction="in",kind="OPTIONS"\} [1-9]/);
    expect(text).toMatch(/palisade_sip_messages_total\{realm="external",transport="tls",direction="out",kind="2xx"\} [1-9]/);
    expect(text).toMatch(/palisade_sip_messages_total\{realm="external",transport="udp",direction="in",kind="other"\} [1-9]/);
    expect(text).toMatch(/palisade_transport_connections\{transport="tcp"\} \d+/);
    expect(text).toMatch(/process_cpu_seconds_total/);
  });
  it.skipIf(!hasPromtool)('/metrics passes promtool check metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${sbc.http!.port}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('pings need no credentials (issue 2: trunks and monitors ping it; issue 4: everything else is authenticated)', () => {
  let open: Palisade;
  beforeAll(async () => {
    const config = configSchema.parse({
      log: { level: 'silent' },
      http: { enabled: false },
      realms: { external: { listeners: [{ id: 'u', transport: 'udp', address: '127.0.0.1', port: 0 }] } },
    });
    open = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
  });
  afterAll(async () => {
    await open?.stop();
  });
  it('an unknown source gets 200 to OPTIONS for the SBC, and a challenge for anything else', async () => {
    const p = open.transports.listeners()[0]!.port;
    const ping = await udpExchange('127.0.0.1', p, sipRequest({ uri: 'sip:127.0.0.1' }));
    expect(statusLine(ping[0]!)).toBe('SIP/2.0 200 OK');
    const inv = await udpExchange('127.0.0.1', p, sipRequest({ method: 'INVITE', uri: 'sip:+15551234567@127.0.0.1' }));
    expect(statusLine(inv[0]!)).toMatch(/^SIP\/2\.0 (100 Trying|407 Proxy Authentication Required)$/);
    expect(inv.map((b) => statusLine(b))).toContain('SIP/2.0 407 Proxy Authentication Required');
  });
});
