// State and metrics after real calls: a batch of calls that all end — answered and
// hung up, cancelled, busy, and one the callee rings and then never answers (Timer C
// and the CANCEL guard end it) — must leave no transaction, no dialog and no pending
// relay behind, and /metrics must say so and count the calls by outcome.
//
// Small timers (T1 50 ms, T4 500 ms, Timer C 1 s) make every timer short except one:
// RFC 3261 §17.1.1.2 Timer D on UDP is "at least 32 s" whatever T1 is, so the INVITE
// client transactions that got 486/487 from the softswitch (over UDP) linger that long.
// The test checks the quick part within 10 s, and the whole table within Timer D + 8 s.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOFTSWITCH_IP, TRUNK_IP, parseTrace, startFixture, waitUntil, type Fixture } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { runSippPair, type SippOptions, type SippPairResult, type SippProcessOptions } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];
const scenario = (name: string) => join(import.meta.dirname, '..', 'scenarios', 'proxy', `${name}.xml`);
const TIMER_D_UDP = 32_000;

let fx: Fixture;
let ssPort: number;
const runs: Record<string, SippPairResult> = {};

function flow(uac: Pick<SippOptions, 'scenario' | 'builtin'>, uas: string, calls: number): Promise<SippPairResult> {
  const uasOpts: SippProcessOptions = { scenario: scenario(uas), target: '', localIp: SOFTSWITCH_IP, port: ssPort, calls, extra: LOOSE, traceMsg: true, timeoutSeconds: 15, killAfterMs: 20_000 };
  return runSippPair({
    uas: uasOpts,
    uac: { ...uac, target: `127.0.0.1:${fx.port('external', 'udp')}`, localIp: TRUNK_IP, calls, rate: 10, extra: LOOSE, traceMsg: true, timeoutSeconds: 15 },
    uasGraceMs: 8000,
  });
}

const metric = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
};

describe.skipIf(!hasSipp)('no state left behind after calls end; metrics count them', () => {
  beforeAll(async () => {
    ssPort = await freePort(SOFTSWITCH_IP);
    fx = await startFixture({ softswitchPort: ssPort, timers: { t1Ms: 50, t2Ms: 400, t4Ms: 500, timerCMs: 1000 } });
    // the callee that never answers first: it takes longest (Timer C, then the CANCEL guard)
    runs.noanswer = await flow({ scenario: scenario('uac-noanswer') }, 'uas-silent', 1);
    runs.answered = await flow({ scenario: 'uac', builtin: true }, 'uas-answer', 5);
    runs.cancelled = await flow({ scenario: scenario('uac-cancel') }, 'uas-cancel', 3);
    runs.busy = await flow({ scenario: scenario('uac-busy') }, 'uas-busy', 3);
  }, 60_000);

  afterAll(async () => {
    await fx?.stop();
  });

  it('every call ended as scripted', () => {
    for (const [name, r] of Object.entries(runs)) {
      expect(r.uac.failed, `${name}: ${r.uac.stderr.slice(0, 1200)}`).toBe(0);
      expect(r.uac.successful, `${name}: ${r.uac.stderr.slice(0, 1200)}`).toBeGreaterThan(0);
    }
    // the unanswered call got a final answer made up by Palisade
    const finals = parseTrace(runs.noanswer!.uac.messages).filter((m) => m.direction === 'received' && /^SIP\/2\.0 [3-6]\d\d /.test(m.head));
    expect(finals.map((m) => m.head.split('\r\n', 1)[0])).toEqual([expect.stringMatching(/^SIP\/2\.0 (408|487|480) /)]);
    // and the silent callee was sent a CANCEL when Timer C fired
    const cancels = parseTrace(runs.noanswer!.uas.messages).filter((m) => m.direction === 'received' && m.head.startsWith('CANCEL '));
    expect(cancels.length).toBeGreaterThan(0);
  });

  it('dialogs and server transactions drain within 10 s', async () => {
    const ok = await waitUntil(() => {
      const s = fx.sbc.core.sizes();
      return s.dialogs === 0 && s.serverTransactions === 0;
    }, 10_000);
    expect(ok, JSON.stringify(fx.sbc.core.sizes())).toBe(true);
  }, 15_000);

  it('client transactions too, once Timer D (32 s on UDP) has run; the gauges in /metrics read 0', async () => {
    const ok = await waitUntil(() => {
      const s = fx.sbc.core.sizes();
      return s.dialogs === 0 && s.serverTransactions === 0 && s.clientTransactions === 0 && s.pending === 0;
    }, TIMER_D_UDP + 8000);
    expect(ok, JSON.stringify(fx.sbc.core.sizes())).toBe(true);
    const text = await fx.metrics();
    expect(metric(text, 'palisade_dialogs_active')).toBe(0);
    expect(metric(text, 'palisade_transactions_active')).toBe(0);
    for (const direction of ['origination', 'termination']) {
      const v = metric(text, 'palisade_calls_active', { direction });
      if (v !== undefined) expect(v, direction).toBe(0);
    }
  }, TIMER_D_UDP + 15_000);

  it('palisade_calls_total counts the calls by outcome; request durations are observed', async () => {
    const text = await fx.metrics();
    const calls = (outcome: string) => metric(text, 'palisade_calls_total', { direction: 'origination', outcome }) ?? 0;
    expect(calls('answered'), text.split('\n').filter((l) => l.startsWith('palisade_calls_total')).join('\n')).toBe(5);
    expect(calls('busy')).toBe(3);
    expect(calls('cancelled')).toBe(3);
    expect(calls('timeout') + calls('failed') + calls('cancelled') - 3).toBe(1);
    expect(metric(text, 'palisade_calls_total', { direction: 'termination' }) ?? 0).toBe(0);
    const count = metric(text, 'palisade_sip_request_duration_seconds_count');
    expect(count).toBeGreaterThan(0);
    expect(metric(text, 'palisade_sip_request_duration_seconds_sum')).toBeGreaterThan(0);
  });
});
