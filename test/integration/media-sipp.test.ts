// SIPp calls with real RTP through the relay: the caller (127.0.0.3) plays G.711 from
// Debian sip-tester's pcap, the callee (SIPp uas, 127.0.0.4) echoes it (-rtp_echo).
// Packets must cross the relay both ways, and the SDP each side received must name
// only Palisade's address on its own realm.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { parseTrace, waitUntil } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { runSippPair, type SippPairResult } from '../helpers/sipp.js';
import { haveTool } from '../helpers/tools.js';

const EXT = '127.0.0.1';
const INT = '127.0.0.2';
const CALLER = '127.0.0.3';
const SS = '127.0.0.4';
const PCAP = '/usr/share/sip-tester/g711a.pcap';
const hasSipp = haveTool('sipp', 'sip-tester') && existsSync(PCAP);

let sbc: Palisade;
let r: SippPairResult;
let baseline = 0;
const sum = async (pred: (l: Record<string, string | number>) => boolean) =>
  (await sbc.metrics.mediaPackets.get()).values.filter((v) => pred(v.labels)).reduce((a, v) => a + v.value, 0);
const portsFree = async () => (await sbc.metrics.mediaPortsFree.get()).values[0]?.value ?? -1;

describe.skipIf(!hasSipp)('SIPp with RTP (pcap) through the media relay', () => {
  beforeAll(async () => {
    const ssPort = await freePort(SS);
    const config = configSchema.parse({
      log: { level: 'silent' },
      http: { enabled: false },
      realms: {
        external: { listeners: [{ transport: 'udp', address: EXT, port: 0 }] },
        internal: { listeners: [{ transport: 'udp', address: INT, port: 0 }] },
      },
      softswitches: { targets: [{ id: 'ss', host: SS, port: ssPort, transport: 'udp' }], health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1000 } },
      security: { admission: { maxEventLoopLagMs: 0 } },
      trunks: [{ id: 'carrier', sources: [{ cidr: `${CALLER}/32` }] }],
      media: { portMin: 46500, portMax: 46539, workers: 1, statsIntervalMs: 100, realms: { external: { address: EXT }, internal: { address: INT } } },
    });
    sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
    const ext = sbc.transports.listeners().find((l) => l.realm === 'external')!.port;
    await new Promise((res) => setTimeout(res, 300)); // the start-up OPTIONS probe gives up before the uas starts
    await waitUntil(async () => (await portsFree()) === 40 - 8, 3000);
    baseline = await portsFree();
    const common = { traceMsg: true, timeoutSeconds: 20, extra: ['-default_behaviors', 'all,-abortunexp'] } as const;
    r = await runSippPair({
      uas: { ...common, scenario: 'uas', builtin: true, target: '', localIp: SS, port: ssPort, calls: 2, killAfterMs: 30_000, extra: [...common.extra, '-rtp_echo', '-mi', SS] },
      uac: { ...common, scenario: join(import.meta.dirname, '..', 'scenarios', 'media', 'uac-pcap.xml'), target: `${EXT}:${ext}`, localIp: CALLER, calls: 2, rate: 2, extra: [...common.extra, '-mi', CALLER] },
      uasGraceMs: 3000,
    });
  }, 60_000);

  afterAll(async () => {
    await sbc?.stop();
  });

  it('the calls complete', () => {
    expect(r.uac.successful, r.uac.stderr.slice(0, 1500)).toBe(2);
    // (the built-in uas is stopped before it writes its final statistics; its 200s and the BYE answers are in the uac's success)
  });

  it('RTP crossed the relay both ways (caller → callee, and the echo back)', async () => {
    await new Promise((res) => setTimeout(res, 300)); // last worker tick
    const fromCaller = await sum((l) => l.direction === 'in' && l.realm === 'external');
    const toCallee = await sum((l) => l.direction === 'out' && l.realm === 'internal');
    const echoed = await sum((l) => l.direction === 'in' && l.realm === 'internal');
    const backToCaller = await sum((l) => l.direction === 'out' && l.realm === 'external');
    expect(fromCaller).toBeGreaterThan(100);
    expect(toCallee).toBeGreaterThan(100);
    expect(echoed).toBeGreaterThan(50);
    expect(backToCaller).toBeGreaterThan(50);
  });

  it('each side received SDP naming only Palisade on its realm', () => {
    const uacGot = parseTrace(r.uac.messages).filter((m) => m.direction === 'received' && m.body.includes('v=0'));
    const uasGot = parseTrace(r.uas.messages).filter((m) => m.direction === 'received' && m.body.includes('v=0'));
    expect(uacGot.length).toBeGreaterThanOrEqual(2);
    expect(uasGot.length).toBeGreaterThanOrEqual(2);
    for (const m of uacGot) {
      expect([...new Set([...m.body.matchAll(/IN IP4 (\S+)/g)].map((x) => x[1]))]).toEqual([EXT]);
      for (const leak of [INT, SS]) expect(m.body).not.toContain(leak);
    }
    for (const m of uasGot) {
      expect([...new Set([...m.body.matchAll(/IN IP4 (\S+)/g)].map((x) => x[1]))]).toEqual([INT]);
      for (const leak of [EXT, CALLER]) expect(m.body).not.toContain(leak);
      expect(m.body).toContain('a=rtpmap:8 PCMA/8000');
    }
  });

  it('the media ports are all back once the calls are over', async () => {
    expect(await waitUntil(async () => (await portsFree()) === baseline, 3000)).toBe(true);
  });
});
