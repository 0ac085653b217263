// Shared state across a fleet, end to end (issue 4, DESIGN.md invariant 5): two
// Palisade instances (A and B) share a real redis-server. A ban made on A is enforced
// on B within a second; a trunk's concurrent-call limit holds over both; with Redis
// stopped, calls keep flowing on local state and a ban made meanwhile reaches B once
// Redis is back.
//
// Addresses (127.0.2.x, distinct from the other security-* files): A external
// 127.0.2.1 / internal 127.0.2.2, B external 127.0.2.11 / internal 127.0.2.12; the
// limited trunk 127.0.2.3; a second trunk 127.0.2.5 (and 127.0.2.9, 127.0.2.10, the
// addresses that get banned); the softswitch 127.0.2.4.
import { createSocket, type Socket } from 'node:dgram';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { waitUntil } from '../helpers/capture.js';
import { metricValue } from '../helpers/flood.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { runSipp } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';
import { hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

const hasRedis = haveTool('redis-server', 'redis-server');
const hasSipp = hasRedis && haveTool('sipp', 'sip-tester');

const A_EXT = '127.0.2.1';
const A_INT = '127.0.2.2';
const B_EXT = '127.0.2.11';
const B_INT = '127.0.2.12';
const LIMITED = '127.0.2.3';
const SS = '127.0.2.4';
const OTHER = '127.0.2.5';
const BANNED_1 = '127.0.2.9';
const BANNED_2 = '127.0.2.10';

let redis: RedisServer;
let ss: Softswitch;
let sbcA: Palisade;
let sbcB: Palisade;
let aPort: number;
let bPort: number;

function config(name: string, ext: string, int: string, redisUrl: string): PalisadeConfig {
  return configSchema.parse({
    node: { name },
    log: { level: 'silent' },
    http: { enabled: false },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: ext, port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: int, port: 0 }] },
    },
    softswitches: {
      targets: [{ id: 'ss', host: SS, port: ss.port, transport: 'udp' }],
      health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1000 },
    },
    state: { backend: 'redis', redis: { url: redisUrl, keyPrefix: 'sec-redis:' } },
    security: { auth: { nonceSecret: 'a fleet-wide nonce secret of 32+ characters' } },
    trunks: [
      { id: 'fleet', sources: [{ cidr: `${LIMITED}/32` }], limits: { maxCalls: 2 } },
      // limits that need the store (fleet-wide CPS and call count), generous enough never to refuse
      { id: 'other', sources: [{ cidr: `${OTHER}/32` }, { cidr: `${BANNED_1}/32` }, { cidr: `${BANNED_2}/32` }], limits: { maxCalls: 100, cps: 50 } },
    ],
  });
}

beforeAll(async () => {
  if (!hasRedis) return;
  redis = await startRedis();
  ss = await softswitch(SS);
  const logger = createLogger({ level: 'silent' });
  sbcA = await startPalisade(config('pal-a', A_EXT, A_INT, redis.url), { logger });
  sbcB = await startPalisade(config('pal-b', B_EXT, B_INT, redis.url), { logger });
  aPort = sbcA.transports.listeners().find((l) => l.id === 'ext')!.port;
  bPort = sbcB.transports.listeners().find((l) => l.id === 'ext')!.port;
  expect(sbcA.store.up() && sbcB.store.up()).toBe(true);
});

afterAll(async () => {
  await sbcA?.stop();
  await sbcB?.stop();
  ss?.close();
  await redis?.stop();
});

describe.skipIf(!hasRedis)('two instances sharing Redis', () => {
  it('a ban made on A is enforced on B within a second: the packet is dropped and counted', async () => {
    const probe = await udpPeer(BANNED_1);
    try {
      // before: B answers this address (an OPTIONS to B itself)
      await probe.send(options(probe, B_EXT, bPort, 'before'), bPort, B_EXT);
      expect(startLine((await probe.next((t) => t.includes('opt-before'))).text)).toBe('SIP/2.0 200 OK');

      const dropsBefore = metricValue(await sbcB.metrics.registry.metrics(), 'palisade_security_drops_total', { reason: 'banned' });
      const t0 = performance.now();
      await sbcA.security.ban(BANNED_1, 'manual: test', 600_000);
      let seenAfter = -1;
      for (let i = 0; i < 400 && seenAfter < 0; i++) {
        if (sbcB.store.isBanned(BANNED_1, Date.now()) !== undefined) seenAfter = performance.now() - t0;
        else await new Promise((r) => setTimeout(r, 5));
      }
      console.log(`ban on A enforced on B after ${seenAfter.toFixed(1)} ms`);
      expect(seenAfter).toBeGreaterThanOrEqual(0);
      expect(seenAfter).toBeLessThan(1000);
      expect(sbcB.store.isBanned(BANNED_1, Date.now())?.origin).toBe('pal-a');

      await probe.send(options(probe, B_EXT, bPort, 'after'), bPort, B_EXT);
      await new Promise((r) => setTimeout(r, 700));
      expect(probe.received.filter((m) => m.text.includes('opt-after'))).toEqual([]);
      const dropsAfter = metricValue(await sbcB.metrics.registry.metrics(), 'palisade_security_drops_total', { reason: 'banned' });
      expect(dropsAfter - dropsBefore).toBe(1);
      // the ban counts where it was made, under the reason label `manual` (free text stays on the ban)
      expect(metricValue(await sbcA.metrics.registry.metrics(), 'palisade_bans_total', { reason: 'manual' })).toBe(1);
      expect(metricValue(await sbcB.metrics.registry.metrics(), 'palisade_bans_total')).toBe(0);
    } finally {
      probe.close();
    }
  });

  it('a trunk limited to 2 concurrent calls gets 2 over both instances, and the 3rd on either is refused 503', async () => {
    const caller = await udpPeer(LIMITED);
    try {
      const c1 = await call(caller, A_EXT, aPort, 'lim-1');
      expect(c1.status, c1.text).toBe(200);
      const c2 = await call(caller, B_EXT, bPort, 'lim-2');
      expect(c2.status, c2.text).toBe(200);
      const c3 = await call(caller, A_EXT, aPort, 'lim-3');
      expect(c3.status, c3.text).toBe(503);
      const c4 = await call(caller, B_EXT, bPort, 'lim-4');
      expect(c4.status, c4.text).toBe(503);
      // the refused calls never reached the softswitch
      expect(ss.invites.filter((i) => /lim-[34]/.test(i))).toEqual([]);
      for (const sbc of [sbcA, sbcB]) {
        expect(metricValue(await sbc.metrics.registry.metrics(), 'palisade_security_rejects_total', { reason: 'trunk_calls', code: '503' })).toBe(1);
      }
      expect(metricValue(await sbcA.metrics.registry.metrics(), 'palisade_trunk_calls_active', { trunk: 'fleet' })).toBe(2);

      // a call that ends frees its slot for the whole fleet
      expect(await c1.bye()).toBe(200);
      const c5 = await call(caller, B_EXT, bPort, 'lim-5');
      expect(c5.status, c5.text).toBe(200);
      expect(await c2.bye()).toBe(200);
      expect(await c5.bye()).toBe(200);
      expect(await waitUntil(() => sbcA.store.shareTotal('calls:fleet') === 0 && sbcB.store.shareTotal('calls:fleet') === 0, 3000)).toBe(true);
    } finally {
      caller.close();
    }
  });

  it.skipIf(!hasSipp)('Redis stops: calls keep flowing on A, palisade_store_up is 0; a ban made meanwhile reaches B after Redis returns', async () => {
    await redis.stop();
    expect(await waitUntil(() => !sbcA.store.up() && !sbcB.store.up(), 5000)).toBe(true);
    expect(metricValue(await sbcA.metrics.registry.metrics(), 'palisade_store_up')).toBe(0);

    // calls through A while Redis is away: the trunk's limits are counted locally (fail open)
    const t0 = performance.now();
    const r = await runSipp({ scenario: 'uac', builtin: true, target: `${A_EXT}:${aPort}`, localIp: OTHER, calls: 10, rate: 5, timeoutSeconds: 20, extra: ['-default_behaviors', 'all,-abortunexp'] });
    expect(r.successful, r.stderr.slice(0, 1500)).toBe(10);
    expect(r.failed).toBe(0);
    console.log(`10 calls through A with Redis down in ${Math.round(performance.now() - t0)} ms`);

    // a ban on A while Redis is down: A enforces it at once, B cannot know yet
    await sbcA.security.ban(BANNED_2, 'manual', 600_000);
    expect(sbcA.store.isBanned(BANNED_2, Date.now())).toBeDefined();
    expect(sbcB.store.isBanned(BANNED_2, Date.now())).toBeUndefined();

    // Redis comes back empty (no persistence): A pushes what it did meanwhile, and the
    // instances rebuild the fleet's list from their mirrors
    await redis.restart();
    const t1 = performance.now();
    expect(await waitUntil(() => sbcB.store.isBanned(BANNED_2, Date.now()) !== undefined, 15_000)).toBe(true);
    console.log(`ban made during the outage reached B ${Math.round(performance.now() - t1)} ms after Redis restarted`);
    expect(await waitUntil(() => sbcA.store.up() && sbcB.store.up(), 5000)).toBe(true);
    // the gauge follows (the pipeline refreshes it at the latest every 5 s)
    expect(await waitUntil(async () => metricValue(await sbcA.metrics.registry.metrics(), 'palisade_store_up') === 1, 6000)).toBe(true);

    // and B enforces it on the wire
    const probe = await udpPeer(BANNED_2);
    try {
      await probe.send(options(probe, B_EXT, bPort, 'resync'), bPort, B_EXT);
      await new Promise((r2) => setTimeout(r2, 600));
      expect(probe.received).toEqual([]);
    } finally {
      probe.close();
    }
    // the server holds both bans again, the one made before the outage included
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      const fields = await client.hkeys('sec-redis:bans');
      expect(fields.sort()).toEqual([BANNED_2, BANNED_1].sort());
    } finally {
      client.disconnect();
    }
  }, 60_000);
});

// ---- peers -------------------------------------------------------------------------

function options(peer: UdpPeer, host: string, port: number, id: string): string {
  return [
    `OPTIONS sip:${host}:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=z9hG4bK-${id};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${peer.address}>;tag=${id}`,
    `To: <sip:${host}>`,
    `Call-ID: opt-${id}@${peer.address}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

interface Call {
  status: number;
  text: string;
  /** BYE (for an answered call): resolves with the status of its final response */
  bye(): Promise<number>;
}

/** An INVITE from `peer` to Palisade at host:port; waits for the final response and ACKs a 200. */
async function call(peer: UdpPeer, host: string, port: number, id: string): Promise<Call> {
  const callId = `${id}@${peer.address}`;
  const from = `<sip:caller@${peer.address}>;tag=${id}`;
  await peer.send(
    [
      `INVITE sip:+15557770000@${host}:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=z9hG4bK-${id}-inv;rport`,
      'Max-Forwards: 70',
      `From: ${from}`,
      `To: <sip:+15557770000@${host}>`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      `Contact: <sip:caller@${peer.address}:${peer.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    port,
    host,
  );
  const final = await peer.next((t) => /^SIP\/2\.0 [2-6]\d\d /.test(t) && t.includes(callId), 5000);
  const status = Number(startLine(final.text).split(' ')[1]);
  const to = hdr(final.text, 'To')!;
  const inDialog = (method: string, cseq: number, branch: string) => {
    const target = /<([^>]+)>/.exec(hdr(final.text, 'Contact') ?? '')?.[1] ?? `sip:${host}:${port}`;
    const rr = final.text.split('\r\n\r\n', 1)[0]!.split('\r\n').filter((l) => /^Record-Route:/i.test(l)).map((l) => l.replace(/^Record-Route:/i, 'Route:'));
    return [
      `${method} ${target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${peer.address}:${peer.port};branch=z9hG4bK-${branch};rport`,
      ...rr.reverse(),
      'Max-Forwards: 70',
      `From: ${from}`,
      `To: ${to}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  };
  if (status === 200) await peer.send(inDialog('ACK', 1, `${id}-ack`), port, host);
  return {
    status,
    text: final.text,
    async bye() {
      await peer.send(inDialog('BYE', 2, `${id}-bye`), port, host);
      const r = await peer.next((t) => t.startsWith('SIP/2.0 ') && t.includes(callId) && /CSeq:\s*2 BYE/i.test(t), 5000);
      return Number(startLine(r.text).split(' ')[1]);
    },
  };
}

interface Softswitch {
  readonly port: number;
  /** the raw INVITEs received, for grepping */
  readonly invites: string[];
  close(): void;
}

/** A softswitch that answers every INVITE 200 at once, BYE and OPTIONS 200, and ignores ACK. */
async function softswitch(address: string): Promise<Softswitch> {
  const sock: Socket = createSocket('udp4');
  const invites: string[] = [];
  let n = 0;
  sock.on('message', (buf, rinfo) => {
    const text = buf.toString('latin1');
    if (text.startsWith('SIP/2.0 ')) return;
    const method = text.slice(0, text.indexOf(' '));
    if (method === 'ACK') return;
    if (method === 'INVITE') invites.push(text);
    const head = text.split('\r\n\r\n', 1)[0]!.split('\r\n');
    const vias = head.filter((l) => /^(Via|v):/i.test(l));
    const to = hdr(text, 'To') ?? hdr(text, 't') ?? '';
    const reply = [
      'SIP/2.0 200 OK',
      ...vias,
      `From: ${hdr(text, 'From') ?? hdr(text, 'f')}`,
      `To: ${/;tag=/.test(to) ? to : `${to};tag=ss${++n}`}`,
      `Call-ID: ${hdr(text, 'Call-ID') ?? hdr(text, 'i')}`,
      `CSeq: ${hdr(text, 'CSeq')}`,
      ...(method === 'INVITE' ? [`Contact: <sip:ss@${address}:${sock.address().port}>`] : []),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    sock.send(Buffer.from(reply, 'latin1'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  return { port: sock.address().port, invites, close: () => sock.close() };
}
