// Digest authentication at the edge, end to end (issue 4, DESIGN.md invariants 2–4):
// a PBX that is no trunk by address (SIPp uac, -au/-ap) calls in through Palisade's
// external listener and reaches the softswitch (SIPp uas) only once authenticated;
// wrong passwords end in a ban; an unknown user learns nothing a known one would not.
//
// Addresses (127.0.1.x, distinct from the other security-* files so they run in
// parallel): Palisade external 127.0.1.1, internal 127.0.1.2, good PBX 127.0.1.3,
// softswitch 127.0.1.4, wrong-password PBX 127.0.1.5, enumeration probe 127.0.1.6.
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { headerValues, parseTrace, waitUntil } from '../helpers/capture.js';
import { metricValue } from '../helpers/flood.js';
import { freePort } from '../helpers/ports.js';
import { runSipp, spawnSipp, type SippRun } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';
import { hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];
const scenario = (name: string) => join(import.meta.dirname, '..', 'scenarios', 'security', `${name}.xml`);

const EXT = '127.0.1.1';
const INT = '127.0.1.2';
const PBX = '127.0.1.3';
const SS = '127.0.1.4';
const BAD = '127.0.1.5';
const PROBE = '127.0.1.6';
const USER = 'pbx1';
const PASSWORD = 'correct horse battery';
const REALM = 'palisade.test';
const NUMBER = '+15551230000';

let sbc: Palisade;
let ssPort: number;
let extPort: number;

function config(): PalisadeConfig {
  return configSchema.parse({
    node: { name: 'sec-auth' },
    log: { level: 'silent' },
    http: { enabled: false },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: EXT, port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: INT, port: 0 }] },
    },
    softswitches: {
      targets: [{ id: 'ss', host: SS, port: ssPort, transport: 'udp' }],
      // one start-up probe that gives up fast and never marks the target down; the SIPp
      // uas starts after it (it would take an OPTIONS for a call)
      health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1000 },
    },
    // SIPp 3.6 computes MD5 only, and answers the first challenge of a 407 whatever its
    // algorithm ("createAuthHeader: authentication must use MD5 or AKAv1-MD5" against the
    // default SHA-512-256, SHA-256, MD5 list): offer it MD5 alone
    security: { auth: { realm: REALM, algorithms: ['MD5'] } },
    // no `sources`: nobody is this trunk by address, everyone must authenticate
    trunks: [{ id: 'pbx-1', auth: { username: USER, password: PASSWORD } }],
  });
}

beforeAll(async () => {
  ssPort = await freePort(SS);
  sbc = await startPalisade(config(), { logger: createLogger({ level: 'silent' }) });
  extPort = sbc.transports.listeners().find((l) => l.id === 'ext')!.port;
  await new Promise((r) => setTimeout(r, 150));
  await waitUntil(() => sbc.core.sizes().clientTransactions === 0, 2000);
});

afterAll(async () => {
  await sbc?.stop();
});

const why = (r: SippRun) => `code ${r.code}: ${r.stderr.slice(0, 2000)}\n${r.stdout.slice(-1500)}\n${r.messages.slice(-3000)}`;

describe.skipIf(!hasSipp)('digest authentication with SIPp (-au/-ap)', () => {
  it('every authenticated call completes; the softswitch sees the trunk header and never the credentials', async () => {
    const calls = 10;
    const uas = await spawnSipp({ scenario: 'uas', builtin: true, target: '', localIp: SS, port: ssPort, calls, extra: LOOSE, traceMsg: true, killAfterMs: 25_000 });
    let uac: SippRun;
    try {
      uac = await runSipp({
        scenario: scenario('uac-auth'),
        target: `${EXT}:${extPort}`,
        localIp: PBX,
        calls,
        rate: 5,
        timeoutSeconds: 15,
        // SIPp signs sip:<remote_ip>:<port> unless told; Palisade checks the digest uri
        // against the Request-URI (RFC 7616 §3.4.6)
        extra: [...LOOSE, '-s', NUMBER, '-au', USER, '-ap', PASSWORD, '-auth_uri', `${NUMBER}@${EXT}:${extPort}`],
        traceMsg: true,
      });
    } finally {
      const t = setTimeout(() => void uas.stop(), 8000);
      void uas.done.then(() => clearTimeout(t));
    }
    const ss = await uas.done;
    expect(uac.successful, why(uac)).toBe(calls);
    expect(uac.failed, why(uac)).toBe(0);
    expect(ss.successful, why(ss)).toBe(calls);

    const got = parseTrace(ss.messages).filter((m) => m.direction === 'received');
    const invites = got.filter((m) => m.head.startsWith('INVITE '));
    // only authenticated INVITEs reached it: one per call (no challenge round, no retransmission of the first)
    expect(invites.length).toBe(calls);
    for (const m of invites) {
      expect(headerValues(m.head, 'x-palisade-trunk')).toEqual(['pbx-1']);
    }
    // credentials are for Palisade's realm: they must stop at Palisade (RFC 3261 §22.3)
    const leaked = got.filter((m) => /\r\n(Proxy-Authorization|Authorization):/i.test(m.head));
    expect(leaked.map((m) => `${m.head.split('\r\n', 1)[0]} | ${m.head.split('\r\n').find((l) => /authorization:/i.test(l))}`)).toEqual([]);
    // neither the challenge round's ACK nor a 407 reached it
    expect(got.filter((m) => m.head.startsWith('ACK ') && /CSeq:\s*1 ACK/i.test(m.head))).toEqual([]);

    const text = await sbc.metrics.registry.metrics();
    expect(metricValue(text, 'palisade_auth_total', { trunk: 'pbx-1', result: 'ok' })).toBe(calls);
    expect(metricValue(text, 'palisade_auth_total', { trunk: 'unknown', result: 'challenge' })).toBeGreaterThanOrEqual(calls);
    expect(sbc.security.listBans().find((b) => b.address === PBX)).toBeUndefined();
  }, 40_000);

  it('wrong passwords: the 5th failure bans the source; from then on nothing answers', async () => {
    const before = await sbc.metrics.registry.metrics();
    const failBefore = metricValue(before, 'palisade_auth_total', { trunk: 'pbx-1', result: 'fail' });
    const bannedDropsBefore = metricValue(before, 'palisade_security_drops_total', { reason: 'banned' });
    // 8 calls, 2 a second: calls 1–4 get a fresh challenge after their wrong answer; the 5th
    // answer bans (and is dropped); calls 6–8 are dropped at the ban list before parsing
    const r = await runSipp({
      scenario: scenario('uac-auth-fail'),
      target: `${EXT}:${extPort}`,
      localIp: BAD,
      calls: 8,
      rate: 2,
      timeoutSeconds: 25,
      extra: [...LOOSE, '-s', NUMBER, '-au', USER, '-ap', 'wrong', '-auth_uri', `${NUMBER}@${EXT}:${extPort}`],
      traceMsg: true,
    });
    expect(r.successful, why(r)).toBe(4);
    expect(r.failed, why(r)).toBe(4);
    const ban = sbc.store.isBanned(BAD, Date.now());
    expect(ban?.reason).toBe('auth_failures');

    const after = await sbc.metrics.registry.metrics();
    expect(metricValue(after, 'palisade_bans_total', { reason: 'auth_failures' })).toBe(1);
    expect(metricValue(after, 'palisade_auth_total', { trunk: 'pbx-1', result: 'fail' }) - failBefore).toBe(5);
    expect(metricValue(after, 'palisade_security_drops_total', { reason: 'auth_failures' })).toBe(1);
    // calls 6–8 each sent an INVITE and SIPp retransmitted it until its timeout
    expect(metricValue(after, 'palisade_security_drops_total', { reason: 'banned' }) - bannedDropsBefore).toBeGreaterThanOrEqual(3);

    // and the right password from the banned address gets nothing either
    const peer = await udpPeer(BAD);
    try {
      await peer.send(invite({ peer, branch: 'z9hG4bK-afterban', callId: 'after-ban@x', cseq: 1 }), extPort, EXT);
      await new Promise((r2) => setTimeout(r2, 600));
      expect(peer.received).toEqual([]);
    } finally {
      peer.close();
    }
  }, 40_000);
});

describe('an extension scan learns nothing', () => {
  let peer: UdpPeer;
  beforeAll(async () => {
    peer = await udpPeer(PROBE);
  });
  afterAll(() => peer?.close());

  /** INVITE → 407, then the same INVITE answered with (username, password): the second answer. */
  async function attempt(username: string, password: string, n: number): Promise<{ text: string; ms: number }> {
    const callId = `probe-${n}@${PROBE}`;
    await peer.send(invite({ peer, branch: `z9hG4bK-p${n}a`, callId, cseq: 1 }), extPort, EXT);
    const first = await peer.next((t) => t.startsWith('SIP/2.0 ') && t.includes(callId));
    expect(startLine(first.text)).toBe('SIP/2.0 407 Proxy Authentication Required');
    const md5 = headerValues(first.text.split('\r\n\r\n', 1)[0]!, 'proxy-authenticate').find((v) => /algorithm=MD5\b/i.test(v));
    expect(md5, first.text).toBeDefined();
    const nonce = /nonce="([^"]+)"/.exec(md5!)![1]!;
    const uri = `sip:+15551230000@${EXT}:${extPort}`;
    const cnonce = randomBytes(8).toString('hex');
    const h = (s: string) => createHash('md5').update(s).digest('hex');
    const response = h(`${h(`${username}:${REALM}:${password}`)}:${nonce}:00000001:${cnonce}:auth:${h(`INVITE:${uri}`)}`);
    const auth = `Digest username="${username}", realm="${REALM}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}"`;
    const t0 = performance.now();
    await peer.send(invite({ peer, branch: `z9hG4bK-p${n}b`, callId, cseq: 2, extra: [`Proxy-Authorization: ${auth}`] }), extPort, EXT);
    const second = await peer.next((t) => t.startsWith('SIP/2.0 ') && t.includes(callId) && /CSeq:\s*2 /.test(t));
    return { text: second.text, ms: performance.now() - t0 };
  }

  /** The answer with what must differ between two requests (nonces, our branch, CSeq, Call-ID) blanked out. */
  const shape = (text: string, n: number) =>
    text
      .replace(/nonce="[^"]+"/g, 'nonce="N"')
      .replace(new RegExp(`z9hG4bK-p${n}b`, 'g'), 'BRANCH')
      .replace(new RegExp(`probe-${n}@`, 'g'), 'CALLID@')
      .replace(/;tag=[^;\r\n>]+/g, ';tag=T');

  it('an unknown user gets the same answer as a known user with a wrong password', async () => {
    const wrong = await attempt(USER, 'not-the-password', 1);
    const unknown = await attempt('nobody', 'whatever', 2);
    expect(startLine(wrong.text)).toBe('SIP/2.0 407 Proxy Authentication Required');
    expect(shape(unknown.text, 2)).toBe(shape(wrong.text, 1));
    // the configured challenge, and no stale flag
    expect(headerValues(wrong.text.split('\r\n\r\n', 1)[0]!, 'proxy-authenticate').map((v) => /algorithm=([\w-]+)/.exec(v)?.[1])).toEqual(['MD5']);
    expect(wrong.text).not.toMatch(/stale=true/i);
    // same time, loosely (timers on a shared machine are noisy): neither answer is 10× the other
    expect(Math.max(wrong.ms, unknown.ms)).toBeLessThan(Math.max(50, 10 * Math.min(wrong.ms, unknown.ms)));
    const text = await sbc.metrics.registry.metrics();
    expect(metricValue(text, 'palisade_auth_total', { trunk: 'unknown', result: 'fail' })).toBeGreaterThanOrEqual(1);
    // two failures from this source: not banned yet
    expect(sbc.store.isBanned(PROBE, Date.now())).toBeUndefined();
    expect(hdr(wrong.text, 'Call-ID')).toBe(`probe-1@${PROBE}`);
  });
});

function invite(o: { peer: UdpPeer; branch: string; callId: string; cseq: number; extra?: string[] }): string {
  return [
    `INVITE sip:+15551230000@${EXT}:${extPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${o.peer.address}:${o.peer.port};branch=${o.branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:probe@${o.peer.address}>;tag=f${o.callId.length}`,
    `To: <sip:+15551230000@${EXT}>`,
    `Call-ID: ${o.callId}`,
    `CSeq: ${o.cseq} INVITE`,
    `Contact: <sip:probe@${o.peer.address}:${o.peer.port}>`,
    ...(o.extra ?? []),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}
