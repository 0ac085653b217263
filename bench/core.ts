// In-process cost of the signalling path (no sockets): full calls — INVITE, 100, 180,
// 200, ACK, BYE, 200 — through the inbound handler, the security pipeline and the
// proxy core, with the transport replaced by a recorder. Reports µs of CPU per call,
// and the same run's cost of only parsing those messages, as a ratio.
import { configSchema } from '../src/config/schema.js';
import { createLogger } from '../src/observability/logger.js';
import { createMetrics } from '../src/observability/metrics.js';
import { createProxyCore } from '../src/proxy/core.js';
import { createHeaderPolicy } from '../src/proxy/headers-policy.js';
import { createInbound } from '../src/proxy/inbound.js';
import { createPool } from '../src/proxy/route/pool.js';
import { createSipResolver } from '../src/proxy/route/resolve.js';
import { createSealer } from '../src/proxy/seal.js';
import { createSecurityPipeline } from '../src/security/index.js';
import { parseMessage } from '../src/sip/index.js';
import { createMemoryStore } from '../src/state/index.js';
import type { Destination, ListenerInfo, Source } from '../src/transport/types.js';
import { randomBytes } from 'node:crypto';

const calls = Number(process.argv[2] ?? 20000);
const config = configSchema.parse({
  log: { level: 'silent' },
  realms: {
    external: { listeners: [{ id: 'ext', transport: 'udp', address: '127.0.0.1', port: 5060 }] },
    internal: { listeners: [{ id: 'int', transport: 'udp', address: '127.0.0.2', port: 5070 }] },
  },
  softswitches: { targets: [{ id: 'ss', host: '127.0.0.4', port: 5080, transport: 'udp' }], health: { intervalMs: 3_600_000 } },
  trunks: [{ id: 'lab', sources: [{ cidr: '127.0.0.3/32' }], limits: { packetRate: 1e9, packetBurst: 1e9 } }],
  security: { admission: { maxEventLoopLagMs: 0 } },
  proxy: { timers: { t1Ms: Number(process.env.T1 ?? 500) } },
});
const listeners: ListenerInfo[] = [
  { id: 'ext', realm: 'external', transport: 'udp', address: '127.0.0.1', port: 5060, advertise: '127.0.0.1' },
  { id: 'int', realm: 'internal', transport: 'udp', address: '127.0.0.2', port: 5070, advertise: '127.0.0.2' },
];
const sent: Array<{ dest: Destination; data: Buffer }> = [];
const transports = { listeners: () => listeners, send: (dest: Destination, data: Buffer) => (sent.push({ dest, data }), true) };
const logger = createLogger({ level: 'silent' });
const metrics = createMetrics({ version: 'bench', defaultMetrics: false });
const store = createMemoryStore();
const security = createSecurityPipeline(config, { store, metrics, logger });
const pool = createPool({ targets: config.softswitches.targets, probe: async () => true, intervalMs: 3_600_000 });
const core = createProxyCore({
  config, logger, metrics, transports, isSelf: () => false, sealer: createSealer([{ id: 0, key: randomBytes(32) }]),
  headerPolicy: createHeaderPolicy(config.topology), pool, resolver: createSipResolver(),
});
const inbound = createInbound({ config, logger, metrics, transports, core, security });

const uac: Source = { transport: 'udp', realm: 'external', listenerId: 'ext', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.3', remotePort: 5090 };
const uas: Source = { transport: 'udp', realm: 'internal', listenerId: 'int', localAddress: '127.0.0.2', localPort: 5070, remoteAddress: '127.0.0.4', remotePort: 5080 };
const SDP = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

async function deliver(data: string | Buffer, source: Source): Promise<void> {
  inbound.handle({ data: typeof data === 'string' ? Buffer.from(data, 'latin1') : data, source, receivedAt: process.hrtime.bigint() });
  // routing and admission may finish in a later microtask, as they do on a live socket
  await new Promise<void>((r) => setImmediate(r));
}
function take(pred: (s: string) => boolean): string {
  for (let i = 0; i < sent.length; i++) {
    const s = sent[i]!.data.toString('latin1');
    if (pred(s)) { sent.splice(i, 1); return s; }
  }
  throw new Error(`expected message not sent; have: ${sent.map((x) => x.data.toString('latin1').split('\r\n', 1)[0]).join(' | ')}`);
}
const line = (msg: string, name: string) => new RegExp(`^${name}: .*$`, 'mi').exec(msg)![0];
function respond(req: string, status: string, toTag: string, extra = '', body = ''): string {
  const vias = req.split('\r\n').filter((l) => /^Via:/i.test(l)).join('\r\n');
  const to = line(req, 'To');
  return `SIP/2.0 ${status}\r\n${vias}\r\n${line(req, 'From')}\r\n${/tag=/.test(to) ? to : `${to};tag=${toTag}`}\r\n${line(req, 'Call-ID')}\r\n${line(req, 'CSeq')}\r\n${extra}Content-Length: ${body.length}\r\n\r\n${body}`;
}

async function oneCall(i: number): Promise<void> {
  const cid = `${i}-bench@127.0.0.3`;
  const invite = `INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5090;branch=z9hG4bK-${i}-0\r\nFrom: sipp <sip:sipp@127.0.0.3:5090>;tag=${i}SIPpTag\r\nTo: service <sip:service@127.0.0.1:5060>\r\nCall-ID: ${cid}\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.3:5090\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
  await deliver(invite, uac);
  take((s) => s.startsWith('SIP/2.0 100'));
  const inv2 = take((s) => s.startsWith('INVITE '));
  await deliver(respond(inv2, '180 Ringing', `uas${i}`, 'Contact: <sip:127.0.0.4:5080;transport=UDP>\r\n'), uas);
  take((s) => s.startsWith('SIP/2.0 180'));
  await deliver(respond(inv2, '200 OK', `uas${i}`, 'Contact: <sip:127.0.0.4:5080;transport=UDP>\r\nContent-Type: application/sdp\r\n', SDP.replace(/127\.0\.0\.3/g, '127.0.0.4')), uas);
  const ok = take((s) => s.startsWith('SIP/2.0 200'));
  const toHdr = line(ok, 'To');
  await deliver(`ACK sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5090;branch=z9hG4bK-${i}-5\r\nFrom: sipp <sip:sipp@127.0.0.3:5090>;tag=${i}SIPpTag\r\n${toHdr}\r\nCall-ID: ${cid}\r\nCSeq: 1 ACK\r\nContact: sip:sipp@127.0.0.3:5090\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`, uac);
  take((s) => s.startsWith('ACK '));
  await deliver(`BYE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:5090;branch=z9hG4bK-${i}-7\r\nFrom: sipp <sip:sipp@127.0.0.3:5090>;tag=${i}SIPpTag\r\n${toHdr}\r\nCall-ID: ${cid}\r\nCSeq: 2 BYE\r\nContact: sip:sipp@127.0.0.3:5090\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`, uac);
  const bye = take((s) => s.startsWith('BYE '));
  await deliver(respond(bye, '200 OK', 'x'), uas);
  take((s) => s.startsWith('SIP/2.0 200'));
}

// the messages a call carries, for the parse-only baseline
const sample: Buffer[] = [];
const origSend = transports.send;
transports.send = (d, b) => (sample.push(b), origSend(d, b));
await oneCall(-1);
transports.send = origSend;

for (let i = 0; i < 2000; i++) await oneCall(i); // warm-up
const t0 = process.cpuUsage();
for (let i = 2000; i < 2000 + calls; i++) await oneCall(i);
const t = process.cpuUsage(t0);
const perCall = (t.user + t.system) / calls;

const p0 = process.cpuUsage();
const rounds = calls;
for (let r = 0; r < rounds; r++) for (const b of sample) { const m = parseMessage(b); if (m.ok) { m.message.vias(); m.message.cseq(); m.message.callId(); m.message.from(); m.message.to(); } }
const p = process.cpuUsage(p0);
const parsePerCall = (p.user + p.system) / rounds;
console.log(`calls: ${calls}; CPU per call through inbound+security+core: ${perCall.toFixed(1)} µs (${Math.round(1e6 / perCall)} calls/s per core, signalling JS only)`);
console.log(`same run, parsing the ${sample.length} messages of a call: ${parsePerCall.toFixed(1)} µs; ratio core/parse ${(perCall / parsePerCall).toFixed(1)}x`);
console.log(`tables after: ${JSON.stringify(core.sizes())}; heap used ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB`);
core.stop(); pool.stop(); security.close(); void store.close();
process.exit(0);
