// Origination end to end: a customer trunk (SIPp uac on 127.0.0.3) calls in through
// Palisade's external listeners (UDP, TCP, and TLS through stunnel in front of SIPp's
// TCP mode) and reaches the softswitch (SIPp uas on 127.0.0.4) over the internal realm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOFTSWITCH_IP, TRUNK_IP, startFixture, type Fixture } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { runSipp, spawnSipp, type SippProcess } from '../helpers/sipp.js';
import { startStunnelClient } from '../helpers/stunnel.js';
import { haveTool } from '../helpers/tools.js';

const hasSipp = haveTool('sipp', 'sip-tester');
const hasStunnel = hasSipp && haveTool('stunnel4', 'stunnel4');
const LOOSE = ['-default_behaviors', 'all,-abortunexp'];

let fx: Fixture;
let ssPort: number;

beforeAll(async () => {
  ssPort = await freePort(SOFTSWITCH_IP);
  fx = await startFixture({ softswitchPort: ssPort });
});

afterAll(async () => {
  await fx?.stop();
});

/** A softswitch (built-in uas) for `calls` calls, then the customer's uac against `target`. */
async function callThrough(calls: number, uac: { target: string; transport: 'u1' | 't1' }): Promise<{ uac: Awaited<ReturnType<typeof runSipp>>; uas: Awaited<SippProcess['done']> }> {
  const uas = await spawnSipp({ scenario: 'uas', builtin: true, target: '', localIp: SOFTSWITCH_IP, port: ssPort, calls, extra: LOOSE, killAfterMs: 25_000 });
  const c = await runSipp({ scenario: 'uac', builtin: true, target: uac.target, transport: uac.transport, localIp: TRUNK_IP, calls, rate: 20, timeoutSeconds: 15, extra: LOOSE });
  // the built-in uas pauses 4 s after the last 200 to BYE (absorbing retransmissions) before it counts the call
  const timer = setTimeout(() => void uas.stop(), 8000);
  const s = await uas.done;
  clearTimeout(timer);
  return { uac: c, uas: s };
}

describe('origination: customer → Palisade external → softswitch', () => {
  it.skipIf(!hasSipp)('UDP: every call is answered and hung up', async () => {
    const r = await callThrough(20, { target: `127.0.0.1:${fx.port('external', 'udp')}`, transport: 'u1' });
    expect(r.uac.successful, r.uac.stderr).toBe(20);
    expect(r.uac.failed, r.uac.stderr).toBe(0);
    expect(r.uas.successful, r.uas.stderr).toBe(20);
  }, 30_000);

  it.skipIf(!hasSipp)('TCP: every call is answered and hung up', async () => {
    const r = await callThrough(20, { target: `127.0.0.1:${fx.port('external', 'tcp')}`, transport: 't1' });
    expect(r.uac.successful, r.uac.stderr).toBe(20);
    expect(r.uac.failed, r.uac.stderr).toBe(0);
    expect(r.uas.successful, r.uas.stderr).toBe(20);
  }, 30_000);

  it.skipIf(!hasStunnel)('TLS (SIPp over TCP → stunnel client → Palisade TLS): every call is answered and hung up', async () => {
    // verify Palisade's generated certificate chain against the CA it wrote
    const tunnel = await startStunnelClient({ acceptHost: TRUNK_IP, connectHost: '127.0.0.1', connectPort: fx.port('external', 'tls'), caFile: fx.config.transport.tls.caFile });
    try {
      const r = await callThrough(10, { target: `${TRUNK_IP}:${tunnel.port}`, transport: 't1' });
      expect(r.uac.successful, `${r.uac.stderr}\nstunnel: ${tunnel.log()}`).toBe(10);
      expect(r.uac.failed).toBe(0);
      expect(r.uas.successful, r.uas.stderr).toBe(10);
    } finally {
      await tunnel.stop();
    }
  }, 30_000);
});
