// Scanners, toll fraud and malformed floods at the edge, end to end (issue 4, DESIGN.md
// invariants 2–4), with raw UDP peers against a real Palisade instance:
// - a request whose User-Agent is a known scanner's is dropped silently and bans the source;
// - an INVITE from an IP trunk to a premium-rate number in the default deny list is
//   refused 403 and counted, while an ordinary number reaches the softswitch;
// - more than security.malformed.banAfter malformed packets from one source ban it.
//
// Addresses (127.0.4.x, distinct from the other security-* files): Palisade external
// 127.0.4.1, internal 127.0.4.2, the trunk 127.0.4.3, the softswitch 127.0.4.4; scanners
// 127.0.4.5–7, malformed sources 127.0.4.8–9.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { waitUntil } from '../helpers/capture.js';
import { metricValue } from '../helpers/flood.js';
import { hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

const EXT = '127.0.4.1';
const INT = '127.0.4.2';
const TRUNK = '127.0.4.3';
const SS = '127.0.4.4';

let sbc: Palisade;
let softswitch: UdpPeer;
let trunk: UdpPeer;
let extPort: number;

function config(): PalisadeConfig {
  return configSchema.parse({
    node: { name: 'sec-edge' },
    log: { level: 'silent' },
    http: { enabled: false },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: EXT, port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: INT, port: 0 }] },
    },
    softswitches: {
      targets: [{ id: 'ss', host: SS, port: softswitch.port, transport: 'udp' }],
      health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1000 },
    },
    trunks: [{ id: 'carrier', sources: [{ cidr: `${TRUNK}/32` }] }],
  });
}

beforeAll(async () => {
  softswitch = await udpPeer(SS);
  trunk = await udpPeer(TRUNK);
  sbc = await startPalisade(config(), { logger: createLogger({ level: 'silent' }) });
  extPort = sbc.transports.listeners().find((l) => l.id === 'ext')!.port;
});

afterAll(async () => {
  await sbc?.stop();
  softswitch?.close();
  trunk?.close();
});

const metrics = () => sbc.metrics.registry.metrics();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function request(peer: UdpPeer, o: { method: string; user?: string; id: string; userAgent?: string; extra?: string[] }): string {
  const ruri = o.user === undefined ? `sip:${EXT}:${extPort}` : `sip:${o.user}@${EXT}:${extPort}`;
  return [
    `${o.method} ${ruri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=z9hG4bK-${o.id};rport`,
    'Max-Forwards: 70',
    `From: <sip:100@${peer.address}>;tag=${o.id}`,
    `To: <${ruri}>`,
    `Call-ID: ${o.id}@${peer.address}`,
    `CSeq: 1 ${o.method}`,
    `Contact: <sip:100@${peer.address}:${peer.port}>`,
    ...(o.userAgent !== undefined ? [`User-Agent: ${o.userAgent}`] : []),
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('scanners', () => {
  const cases: Array<[string, string]> = [
    ['127.0.4.5', 'friendly-scanner'],
    ['127.0.4.6', 'sipcli/v1.8'],
    ['127.0.4.7', 'VaxSIPUserAgent/3.1'],
  ];
  it.each(cases)('%s with User-Agent "%s": dropped silently, banned, and everything after is dropped too', async (address, ua) => {
    const peer = await udpPeer(address);
    try {
      const m0 = await metrics();
      // the same request without the User-Agent from a fresh source is answered (challenged)
      const id = `scan-${address.split('.')[3]}`;
      await peer.send(request(peer, { method: 'OPTIONS', user: '100', id, userAgent: ua }), extPort, EXT);
      await sleep(400);
      expect(peer.received).toEqual([]);
      const ban = sbc.store.isBanned(address, Date.now());
      expect(ban?.reason).toBe('scanner');
      const m1 = await metrics();
      expect(metricValue(m1, 'palisade_security_drops_total', { reason: 'scanner' }) - metricValue(m0, 'palisade_security_drops_total', { reason: 'scanner' })).toBe(1);
      expect(metricValue(m1, 'palisade_bans_total', { reason: 'scanner' }) - metricValue(m0, 'palisade_bans_total', { reason: 'scanner' })).toBe(1);

      // an innocent-looking request from the same source now: still silence, counted as banned
      await peer.send(request(peer, { method: 'OPTIONS', user: '101', id: `${id}-again` }), extPort, EXT);
      await sleep(300);
      expect(peer.received).toEqual([]);
      const m2 = await metrics();
      expect(metricValue(m2, 'palisade_security_drops_total', { reason: 'banned' }) - metricValue(m1, 'palisade_security_drops_total', { reason: 'banned' })).toBe(1);
      // nothing reached the softswitch
      expect(softswitch.received.filter((r) => r.text.includes(id))).toEqual([]);
    } finally {
      peer.close();
    }
  });

  it('the control: the same request without a scanner User-Agent is answered', async () => {
    const peer = await udpPeer('127.0.4.10');
    try {
      await peer.send(request(peer, { method: 'OPTIONS', user: '100', id: 'ctl', userAgent: 'Yealink SIP-T46S' }), extPort, EXT);
      const r = await peer.next((t) => t.includes('ctl@'));
      expect(startLine(r.text)).toBe('SIP/2.0 407 Proxy Authentication Required');
      expect(sbc.store.isBanned('127.0.4.10', Date.now())).toBeUndefined();
    } finally {
      peer.close();
    }
  });
});

describe('toll fraud: default deny list on an IP trunk', () => {
  // numbers as dialled, each in a built-in premium or high-fraud range (docs/security.md)
  const denied: Array<[string, string]> = [
    ['+88216123456', '+882 international networks'],
    ['+19005550100', '+1900 US premium rate'],
    ['00539876543', 'Cuba through the international prefix 00'],
    ['+449098790123', 'UK premium rate 09'],
    ['+2521234567', 'Somalia'],
  ];
  it.each(denied)('INVITE to %s (%s) → 403, counted, never reaches the softswitch', async (number) => {
    const m0 = await metrics();
    const id = `toll-${number.replace(/\D/g, '')}`;
    await trunk.send(request(trunk, { method: 'INVITE', user: number, id }), extPort, EXT);
    const r = await trunk.next((t) => t.includes(`${id}@`) && /^SIP\/2\.0 [3-6]/.test(t));
    expect(startLine(r.text)).toBe('SIP/2.0 403 Forbidden');
    const m1 = await metrics();
    expect(metricValue(m1, 'palisade_security_rejects_total', { reason: 'destination_denied', code: '403' }) -
      metricValue(m0, 'palisade_security_rejects_total', { reason: 'destination_denied', code: '403' })).toBe(1);
    await sleep(100);
    expect(softswitch.received.filter((x) => x.text.includes(number.replace(/^00/, '')))).toEqual([]);
    // a refused number takes no call slot and leaves no transaction or dialog
    expect(sbc.core.sizes().dialogs).toBe(0);
    expect(sbc.store.isBanned(TRUNK, Date.now())).toBeUndefined();
  });

  it('an ordinary number passes: the softswitch gets the INVITE, naming the trunk', async () => {
    const id = 'toll-ok';
    await trunk.send(request(trunk, { method: 'INVITE', user: '+15551234567', id }), extPort, EXT);
    const atSs = await softswitch.next((t) => t.startsWith('INVITE ') && t.includes('+15551234567'));
    expect(hdr(atSs.text, 'X-Palisade-Trunk')).toBe('carrier');
    // the softswitch refuses it; the 486 travels back and the transaction ends
    const head = atSs.text.split('\r\n\r\n', 1)[0]!.split('\r\n');
    await softswitch.send(
      [
        'SIP/2.0 486 Busy Here',
        ...head.filter((l) => /^Via:/i.test(l)),
        `From: ${hdr(atSs.text, 'From')}`,
        `To: ${hdr(atSs.text, 'To')};tag=ss486`,
        `Call-ID: ${hdr(atSs.text, 'Call-ID')}`,
        `CSeq: ${hdr(atSs.text, 'CSeq')}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      atSs.from.port,
      atSs.from.address,
    );
    const r = await trunk.next((t) => t.includes(`${id}@`) && /^SIP\/2\.0 [3-6]/.test(t));
    expect(startLine(r.text)).toBe('SIP/2.0 486 Busy Here');
    // RFC 3261 §17.1.1.3: the ACK of a non-2xx final response, on the INVITE's branch
    await trunk.send(
      request(trunk, { method: 'ACK', user: '+15551234567', id }).replace(/^To: .*$/m, `To: ${hdr(r.text, 'To')}`),
      extPort,
      EXT,
    );
  });
});

describe('malformed packets', () => {
  const BAN_AFTER = 20; // security.malformed.banAfter default

  it('a source sending answerable malformed requests gets 400 until the banAfter-th, which bans it', async () => {
    const peer = await udpPeer('127.0.4.8');
    try {
      const m0 = await metrics();
      for (let i = 0; i < BAN_AFTER + 5; i++) {
        // a CSeq that is no number: parseable enough to answer, not a valid request
        const bad = request(peer, { method: 'OPTIONS', user: '100', id: `mal-${i}` }).replace('CSeq: 1 OPTIONS', 'CSeq: x OPTIONS');
        await peer.send(bad, extPort, EXT);
        await sleep(5);
      }
      await sleep(400);
      const answers = peer.received.map((r) => startLine(r.text));
      expect(answers.length).toBe(BAN_AFTER - 1);
      for (const a of answers) expect(a).toMatch(/^SIP\/2\.0 400 /);
      expect(sbc.store.isBanned('127.0.4.8', Date.now())?.reason).toBe('malformed');
      const m1 = await metrics();
      expect(metricValue(m1, 'palisade_bans_total', { reason: 'malformed' }) - metricValue(m0, 'palisade_bans_total', { reason: 'malformed' })).toBe(1);
      expect(metricValue(m1, 'palisade_security_rejects_total', { reason: 'malformed', code: '400' }) -
        metricValue(m0, 'palisade_security_rejects_total', { reason: 'malformed', code: '400' })).toBe(BAN_AFTER - 1);
      // the banning packet is a malformed drop, the 5 after it banned drops (before parsing)
      expect(metricValue(m1, 'palisade_security_drops_total', { reason: 'banned' }) - metricValue(m0, 'palisade_security_drops_total', { reason: 'banned' })).toBe(5);

      // a well-formed request afterwards: silence
      const before = peer.received.length;
      await peer.send(request(peer, { method: 'OPTIONS', id: 'mal-after' }), extPort, EXT);
      await sleep(300);
      expect(peer.received.length).toBe(before);
    } finally {
      peer.close();
    }
  });

  it('garbage that cannot be answered is dropped, counted, and bans the source all the same', async () => {
    const peer = await udpPeer('127.0.4.9');
    try {
      const m0 = await metrics();
      for (let i = 0; i < BAN_AFTER + 5; i++) {
        await peer.send(`\x16\x03\x01\x00\xa5garbage-${i}\x00\x01\x02\r\n\r\n`, extPort, EXT);
        await sleep(5);
      }
      await sleep(300);
      expect(peer.received).toEqual([]);
      expect(sbc.store.isBanned('127.0.4.9', Date.now())?.reason).toBe('malformed');
      const m1 = await metrics();
      expect(metricValue(m1, 'palisade_bans_total', { reason: 'malformed' }) - metricValue(m0, 'palisade_bans_total', { reason: 'malformed' })).toBe(1);
      expect(metricValue(m1, 'palisade_sip_parse_errors_total') - metricValue(m0, 'palisade_sip_parse_errors_total')).toBe(BAN_AFTER);
    } finally {
      peer.close();
    }
  });

  it('bad input left no state behind', async () => {
    // only the one relayed call (486) may still hold its transactions, waiting out RFC 3261
    // timers I and D; nothing refused above created any
    const idle = () => {
      const z = sbc.core.sizes();
      return z.dialogs === 0 && z.pending <= 1 && z.clientTransactions <= 1 && z.serverTransactions <= 1;
    };
    expect(await waitUntil(idle, 3000), JSON.stringify(sbc.core.sizes())).toBe(true);
  });
});
