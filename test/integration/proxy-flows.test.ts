// Call flows through Palisade beyond the plain answered call, customer (SIPp on
// 127.0.0.3) → Palisade external → softswitch (SIPp on 127.0.0.4): the callee hangs
// up, the caller cancels, the callee is busy, and a re-INVITE in an established call.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOFTSWITCH_IP, TRUNK_IP, parseTrace, startFixture, type Fixture, type TracedMessage } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { runSippPair, type SippPairResult } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];
const scenario = (name: string) => join(import.meta.dirname, '..', 'scenarios', 'proxy', `${name}.xml`);

let fx: Fixture;
let ssPort: number;

beforeAll(async () => {
  ssPort = await freePort(SOFTSWITCH_IP);
  fx = await startFixture({ softswitchPort: ssPort });
});

afterAll(async () => {
  await fx?.stop();
});

function flow(uac: string, uas: string, calls: number, transport: 'u1' | 't1' = 'u1'): Promise<SippPairResult> {
  return runSippPair({
    uas: { scenario: scenario(uas), target: '', localIp: SOFTSWITCH_IP, port: ssPort, calls, extra: LOOSE, traceMsg: true, timeoutSeconds: 15, killAfterMs: 20_000 },
    uac: {
      scenario: scenario(uac),
      target: `127.0.0.1:${fx.port('external', transport === 't1' ? 'tcp' : 'udp')}`,
      transport,
      localIp: TRUNK_IP,
      calls,
      rate: 10,
      extra: LOOSE,
      traceMsg: true,
      timeoutSeconds: 15,
    },
    uasGraceMs: 3000,
  });
}

const firstLines = (msgs: TracedMessage[], dir: 'sent' | 'received') =>
  msgs.filter((m) => m.direction === dir).map((m) => m.head.split('\r\n', 1)[0]!.replace(/ sip:\S+/, ''));
const count = (lines: string[], prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;
const why = (r: SippPairResult) => `uac: ${r.uac.stderr.slice(0, 1500)}\nuas: ${r.uas.stderr.slice(0, 1500)}`;

describe.skipIf(!hasSipp)('call flows through Palisade (origination, UDP)', () => {
  it('the callee (softswitch) hangs up: its BYE reaches the caller, the 200 comes back', async () => {
    const r = await flow('uac-wait-bye', 'uas-send-bye', 5);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uas.successful, why(r)).toBe(5);
    expect(r.uas.failed).toBe(0);
    const uacGot = firstLines(parseTrace(r.uac.messages), 'received');
    expect(count(uacGot, 'BYE')).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('the caller cancels while it rings: 200 to CANCEL, 487 to INVITE, both sides ACKed', async () => {
    const r = await flow('uac-cancel', 'uas-cancel', 5);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uas.successful, why(r)).toBe(5);
    const uasGot = firstLines(parseTrace(r.uas.messages), 'received');
    expect(count(uasGot, 'CANCEL')).toBeGreaterThanOrEqual(5);
    // the ACK for the 487 is hop by hop: Palisade makes its own towards the softswitch
    expect(count(uasGot, 'ACK')).toBeGreaterThanOrEqual(5);
    const uacGot = firstLines(parseTrace(r.uac.messages), 'received');
    expect(count(uacGot, 'SIP/2.0 487')).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('486 Busy from the softswitch is relayed to the trunk, and the softswitch gets its ACK', async () => {
    const r = await flow('uac-busy', 'uas-busy', 5);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uas.successful, why(r)).toBe(5);
    const uasGot = parseTrace(r.uas.messages).filter((m) => m.direction === 'received');
    const acks = uasGot.filter((m) => m.head.startsWith('ACK '));
    expect(acks.length).toBeGreaterThanOrEqual(5);
    // RFC 3261 §17.1.1.3: the ACK of a non-2xx has the INVITE's branch and CSeq number
    const invites = uasGot.filter((m) => m.head.startsWith('INVITE '));
    const branchOf = (h: string) => /\r\nVia:[^\r]*;branch=([^;\r]+)/i.exec(h)?.[1];
    const inviteBranches = new Set(invites.map((m) => branchOf(m.head)));
    for (const a of acks) {
      expect(inviteBranches.has(branchOf(a.head)), a.head).toBe(true);
      expect(a.head).toMatch(/\r\nCSeq: 1 ACK/);
    }
  }, 30_000);

  it('re-INVITE from the caller once the call is up (INVITE/200/ACK in the dialog), then BYE', async () => {
    const r = await flow('uac-reinvite', 'uas-reinvite', 5);
    expect(r.uac.successful, why(r)).toBe(5);
    expect(r.uas.successful, why(r)).toBe(5);
    const uasGot = firstLines(parseTrace(r.uas.messages), 'received');
    expect(count(uasGot, 'INVITE')).toBeGreaterThanOrEqual(10);
    expect(count(uasGot, 'ACK')).toBeGreaterThanOrEqual(10);
    expect(count(uasGot, 'BYE')).toBeGreaterThanOrEqual(5);
  }, 30_000);

  it('over TCP, the callee hangs up: the BYE goes back on the caller\'s connection', async () => {
    const r = await flow('uac-wait-bye', 'uas-send-bye', 3, 't1');
    expect(r.uac.successful, why(r)).toBe(3);
    expect(r.uas.successful, why(r)).toBe(3);
  }, 30_000);

  it('over TCP, the caller cancels while it rings', async () => {
    const r = await flow('uac-cancel', 'uas-cancel', 3, 't1');
    expect(r.uac.successful, why(r)).toBe(3);
    expect(r.uas.successful, why(r)).toBe(3);
  }, 30_000);

  it('over TCP, re-INVITE then BYE', async () => {
    const r = await flow('uac-reinvite', 'uas-reinvite', 3, 't1');
    expect(r.uac.successful, why(r)).toBe(3);
    expect(r.uas.successful, why(r)).toBe(3);
  }, 30_000);

  it('a CANCEL that arrives before the callee rang is held until it has (RFC 3261 §9.1), and the call ends 487', async () => {
    const r = await flow('uac-cancel-early', 'uas-cancel-slow', 3);
    expect(r.uac.successful, why(r)).toBe(3);
    expect(r.uas.successful, why(r)).toBe(3);
    // in the softswitch's capture, per call: no CANCEL before it sent its 180
    const msgs = parseTrace(r.uas.messages);
    const callId = (h: string) => /\r\nCall-ID:\s*([^\r]+)/i.exec(h)?.[1];
    const rang = new Set<string>();
    const early: string[] = [];
    for (const m of msgs) {
      const id = callId(m.head) ?? '';
      if (m.direction === 'sent' && m.head.startsWith('SIP/2.0 180')) rang.add(id);
      if (m.direction === 'received' && m.head.startsWith('CANCEL ') && !rang.has(id)) early.push(id);
    }
    expect(early, 'CANCEL sent to the softswitch before any provisional response from it').toEqual([]);
  }, 30_000);
});
