// Invariant 1, "nothing internal leaks out", checked on real calls: SIPp records every
// byte each side receives (-trace_msg) during origination (caller hangs up, callee
// hangs up) and termination; nothing one side received may name the other side —
// its address, its ports, its Via branches, its Call-IDs, its Contact URIs — and the
// trunk must never see Palisade's internal address.
//
// SDP bodies are stripped before grepping: they carry the peers' media addresses on
// purpose until the media relay (step 4) rewrites them, and that is tested there.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  INTERNAL_IP,
  SOFTSWITCH_IP,
  TRUNK_IP,
  findLeaks,
  identityOf,
  parseTrace,
  startFixture,
  type Fixture,
  type Identity,
  type TracedMessage,
} from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { runSippPair, type SippPairResult } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];
const scenario = (name: string) => join(import.meta.dirname, '..', 'scenarios', 'proxy', `${name}.xml`);

/** What one side of the calls received and sent, and the ports it used. */
interface Side {
  received: TracedMessage[];
  id: Identity;
  ports: number[];
}

let fx: Fixture;
let trunk: Side;
let softswitch: Side;
const runs: Array<{ name: string; r: SippPairResult }> = [];

describe.skipIf(!hasSipp)('topology hiding on real calls (SIPp -trace_msg on both sides)', () => {
  beforeAll(async () => {
    const ssPort = await freePort(SOFTSWITCH_IP);
    const trunkPort = await freePort(TRUNK_IP);
    fx = await startFixture({ softswitchPort: ssPort, trunkPort });
    const ext = `127.0.0.1:${fx.port('external', 'udp')}`;
    const int = `${INTERNAL_IP}:${fx.port('internal', 'udp')}`;
    const uacTrunkPort = await freePort(TRUNK_IP);
    const uacSsPort = await freePort(SOFTSWITCH_IP);
    const common = { extra: LOOSE, traceMsg: true, timeoutSeconds: 15 } as const;

    // 1. origination, the caller hangs up (built-in scenarios)
    runs.push({
      name: 'origination, caller BYE',
      r: await runSippPair({
        uas: { ...common, scenario: 'uas', builtin: true, target: '', localIp: SOFTSWITCH_IP, port: ssPort, calls: 3, killAfterMs: 20_000 },
        uac: { ...common, scenario: 'uac', builtin: true, target: ext, localIp: TRUNK_IP, calls: 3, rate: 10, extra: [...LOOSE, '-p', String(uacTrunkPort)] },
        uasGraceMs: 8000,
      }),
    });
    // 2. origination, the callee hangs up
    runs.push({
      name: 'origination, callee BYE',
      r: await runSippPair({
        uas: { ...common, scenario: scenario('uas-send-bye'), target: '', localIp: SOFTSWITCH_IP, port: ssPort, calls: 3, killAfterMs: 20_000 },
        uac: { ...common, scenario: scenario('uac-wait-bye'), target: ext, localIp: TRUNK_IP, calls: 3, rate: 10, extra: [...LOOSE, '-p', String(uacTrunkPort)] },
      }),
    });
    // 6. termination through the trunk chosen by prefix
    runs.push({
      name: 'termination',
      r: await runSippPair({
        uas: { ...common, scenario: scenario('uas-answer'), target: '', localIp: TRUNK_IP, port: trunkPort, calls: 3, killAfterMs: 20_000 },
        uac: { ...common, scenario: 'uac', builtin: true, target: int, localIp: SOFTSWITCH_IP, calls: 3, rate: 10, extra: [...LOOSE, '-s', '+15551234567', '-p', String(uacSsPort)] },
      }),
    });
    const trunkMsgs = [...parseTrace(runs[0]!.r.uac.messages), ...parseTrace(runs[1]!.r.uac.messages), ...parseTrace(runs[2]!.r.uas.messages)];
    const ssMsgs = [...parseTrace(runs[0]!.r.uas.messages), ...parseTrace(runs[1]!.r.uas.messages), ...parseTrace(runs[2]!.r.uac.messages)];
    trunk = { received: trunkMsgs.filter((m) => m.direction === 'received'), id: identityOf(trunkMsgs), ports: [uacTrunkPort, trunkPort] };
    softswitch = { received: ssMsgs.filter((m) => m.direction === 'received'), id: identityOf(ssMsgs), ports: [uacSsPort, ssPort] };
  }, 60_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('the calls themselves succeeded (otherwise the capture proves little)', () => {
    for (const { name, r } of runs) {
      expect(r.uac.successful, `${name}: ${r.uac.stderr.slice(0, 1000)}`).toBe(3);
      expect(r.uas.successful, `${name}: ${r.uas.stderr.slice(0, 1000)}`).toBe(3);
    }
    expect(trunk.received.length).toBeGreaterThan(20);
    expect(softswitch.received.length).toBeGreaterThan(20);
    // sanity of the capture: the identities we look for were found
    expect(trunk.id.branches.size).toBeGreaterThan(0);
    expect(trunk.id.callIds.size).toBeGreaterThan(0);
    expect(softswitch.id.contacts.size).toBeGreaterThan(0);
    // positive controls: the grep does find a side's own identifiers in what it received
    // (its Call-IDs in responses, its Contact as the Request-URI of in-dialog requests)
    expect(findLeaks(trunk.received.map((m) => m.head), trunk.id.callIds).length).toBeGreaterThan(0);
    expect(findLeaks(softswitch.received.map((m) => m.head), softswitch.id.contacts).length).toBeGreaterThan(0);
    expect(findLeaks(softswitch.received.map((m) => m.head), [SOFTSWITCH_IP]).length).toBeGreaterThan(0);
  });

  it("the softswitch never receives the trunk's Via branches, Call-IDs or Contact URIs", () => {
    const heads = softswitch.received.map((m) => m.head); // bodies stripped: see the file comment
    const leaks = findLeaks(heads, [...trunk.id.branches, ...trunk.id.callIds, ...trunk.id.contacts]);
    expect(leaks).toEqual([]);
  });

  it("the trunk never receives the softswitch's Via branches, Call-IDs or Contact URIs", () => {
    const heads = trunk.received.map((m) => m.head);
    const leaks = findLeaks(heads, [...softswitch.id.branches, ...softswitch.id.callIds, ...softswitch.id.contacts]);
    expect(leaks).toEqual([]);
  });

  it("no header the softswitch receives names the trunk's address or ports", () => {
    const heads = softswitch.received.map((m) => m.head);
    const leaks = findLeaks(heads, [TRUNK_IP, ...trunk.ports.flatMap((p) => [`:${p}`, `=${p}`])]);
    expect(leaks).toEqual([]);
  });

  it("no header the trunk receives names the softswitch's address or ports", () => {
    const heads = trunk.received.map((m) => m.head);
    const leaks = findLeaks(heads, [SOFTSWITCH_IP, ...softswitch.ports.flatMap((p) => [`:${p}`, `=${p}`])]);
    expect(leaks).toEqual([]);
  });

  it("nothing the trunk receives names Palisade's internal address or port", () => {
    const heads = trunk.received.map((m) => m.head);
    const internalPort = fx.port('internal', 'udp');
    const leaks = findLeaks(heads, [INTERNAL_IP, `:${internalPort}`, `=${internalPort}`]);
    expect(leaks).toEqual([]);
  });
});
