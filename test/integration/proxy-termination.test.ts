// Termination end to end: the softswitch (SIPp uac on 127.0.0.4) sends a call to
// Palisade's internal listener; Palisade picks the carrier trunk by the number's
// prefix and sends it out of the external realm to the carrier (SIPp uas on
// 127.0.0.3), answering the carrier's digest challenge with the trunk's credentials.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOFTSWITCH_IP, TRUNK_IP, headerValues, parseTrace, startFixture, type Fixture } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { runSippPair, type SippPairResult, type SippProcessOptions } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];
const scenario = (name: string) => join(import.meta.dirname, '..', 'scenarios', 'proxy', `${name}.xml`);
const NUMBER = '+15551234567';

let fx: Fixture;
let trunkPort: number;
let ssPort: number;

beforeAll(async () => {
  trunkPort = await freePort(TRUNK_IP);
  ssPort = await freePort(SOFTSWITCH_IP);
  fx = await startFixture({ softswitchPort: ssPort, trunkPort, credentials: { username: 'palisade', password: 'trunk-secret' } });
});

afterAll(async () => {
  await fx?.stop();
});

function terminate(uas: Pick<SippProcessOptions, 'scenario' | 'builtin'>, calls: number, graceMs: number, uac: { scenario: string; builtin?: boolean } = { scenario: 'uac', builtin: true }): Promise<SippPairResult> {
  return runSippPair({
    uas: { ...uas, target: '', localIp: TRUNK_IP, port: trunkPort, calls, extra: LOOSE, traceMsg: true, timeoutSeconds: 15, killAfterMs: 25_000 },
    uac: {
      ...uac,
      target: `127.0.0.2:${fx.port('internal', 'udp')}`,
      localIp: SOFTSWITCH_IP,
      calls,
      rate: 10,
      timeoutSeconds: 15,
      traceMsg: true,
      extra: [...LOOSE, '-s', NUMBER],
    },
    uasGraceMs: graceMs,
  });
}

const why = (r: SippPairResult) => `uac: ${r.uac.stderr.slice(0, 1500)}\nuas: ${r.uas.stderr.slice(0, 1500)}`;

describe.skipIf(!hasSipp)('termination: softswitch → Palisade internal → carrier trunk by prefix', () => {
  it('the call reaches the trunk chosen by the +1 prefix, with the number kept in the Request-URI', async () => {
    // the built-in uas lingers 4 s after the last BYE before it counts a call
    const r = await terminate({ scenario: 'uas', builtin: true }, 5, 8000);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uac.failed).toBe(0);
    expect(r.uas.successful, why(r)).toBe(5);
    const invites = parseTrace(r.uas.messages).filter((m) => m.direction === 'received' && m.head.startsWith('INVITE '));
    expect(invites.length).toBeGreaterThanOrEqual(5);
    for (const m of invites) expect(m.head.split('\r\n', 1)[0]).toBe(`INVITE sip:${NUMBER}@${TRUNK_IP}:${trunkPort} SIP/2.0`);
  }, 30_000);

  it('the carrier challenges with 407: Palisade answers with a Proxy-Authorization digest that verifies, and the call completes', async () => {
    const r = await terminate({ scenario: scenario('uas-auth-407') }, 5, 3000);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uac.failed).toBe(0);
    expect(r.uas.successful, why(r)).toBe(5);
    expect(r.uas.failed, why(r)).toBe(0);
    const got = parseTrace(r.uas.messages).filter((m) => m.direction === 'received');
    const authed = got.filter((m) => m.head.startsWith('INVITE ') && /\r\nProxy-Authorization: Digest /i.test(m.head));
    expect(authed.length).toBeGreaterThanOrEqual(5);
    for (const m of authed) {
      // SIPp's verifyauth reads only Authorization, so the digest is checked here (RFC 2617 §3.2.2)
      const value = headerValues(m.head, 'proxy-authorization')[0]!;
      expect(verifyDigest(value, 'INVITE', 'palisade', 'trunk-secret'), value).toBe(true);
      expect(verifyDigest(value, 'INVITE', 'palisade', 'not-the-secret')).toBe(false);
      expect(value).toMatch(/realm="carrier\.example"/);
      expect(m.head).toMatch(/\r\nCSeq: 2 INVITE/);
    }
    // the softswitch never sees the challenge nor the credentials
    const ssGot = parseTrace(r.uac.messages).filter((m) => m.direction === 'received');
    for (const m of ssGot) {
      expect(m.head).not.toMatch(/^SIP\/2\.0 407/);
      expect(m.head).not.toMatch(/Proxy-Auth/i);
    }
  }, 30_000);

  it('the carrier challenges with 401: the Authorization answer passes SIPp verifyauth, and the call completes', async () => {
    const r = await terminate({ scenario: scenario('uas-auth-401') }, 5, 3000);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uac.failed).toBe(0);
    expect(r.uas.successful, why(r)).toBe(5);
    expect(r.uas.failed, why(r)).toBe(0);
  }, 30_000);

  it('the softswitch cancels after the carrier challenged: the CANCEL matches the authenticated INVITE (branch, CSeq)', async () => {
    const r = await terminate({ scenario: scenario('uas-auth-cancel') }, 3, 3000, { scenario: scenario('uac-cancel') });
    expect(r.uac.successful, why(r)).toBe(3);
    expect(r.uas.successful, why(r)).toBe(3);
    const got = parseTrace(r.uas.messages).filter((m) => m.direction === 'received');
    const branchOf = (h: string) => /\r\nVia:[^\r]*;branch=([^;\r]+)/i.exec(h)?.[1];
    const authedBranches = new Set(got.filter((m) => m.head.startsWith('INVITE ') && /\r\nProxy-Authorization:/i.test(m.head)).map((m) => branchOf(m.head)));
    const cancels = got.filter((m) => m.head.startsWith('CANCEL '));
    expect(cancels.length).toBeGreaterThanOrEqual(3);
    for (const c of cancels) {
      expect(authedBranches.has(branchOf(c.head)), c.head).toBe(true);
      expect(c.head).toMatch(/\r\nCSeq: 2 CANCEL/);
    }
    // the 487 reaches the softswitch with its own CSeq number back
    const ssGot = parseTrace(r.uac.messages).filter((m) => m.direction === 'received' && m.head.startsWith('SIP/2.0 487'));
    for (const m of ssGot) expect(m.head).toMatch(/\r\nCSeq: 1 INVITE/);
  }, 30_000);
});

function verifyDigest(header: string, method: string, username: string, password: string): boolean {
  const p = (n: string) => new RegExp(`[\\s,]${n}=(?:"([^"]*)"|([^,\\s]+))`, 'i').exec(` ${header.replace(/^\s*Digest\s+/i, '')}`)?.slice(1).find((x) => x !== undefined);
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  if (p('username') !== username) return false;
  const ha1 = md5(`${username}:${p('realm') ?? ''}:${password}`);
  const ha2 = md5(`${method}:${p('uri') ?? ''}`);
  const qop = p('qop');
  const expected = qop ? md5(`${ha1}:${p('nonce')}:${p('nc')}:${p('cnonce')}:${qop}:${ha2}`) : md5(`${ha1}:${p('nonce')}:${ha2}`);
  return expected === p('response');
}
