// Media anchored end to end with scripted UDP peers: a "phone" on the external realm
// speaking SRTP (policy required) and a "softswitch" on the internal realm speaking
// plain RTP, through Palisade's relay. Checks the audio both ways (SRTP checked by
// libsrtp when it is installed), that neither side's SDP names the other, and that
// the media ports come back after calls end, fail, are cancelled and time out.
import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { contextFromCrypto, generateCrypto, parseCrypto, type SdesCrypto } from '../../src/media/srtp/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { waitUntil } from '../helpers/capture.js';
import { freePort } from '../helpers/ports.js';
import { hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';
import { libsrtpAvailable, libsrtpHelper, runLibsrtp } from '../media/srtp/libsrtp.js';

const EXT = '127.0.0.1';
const INT = '127.0.0.2';
const PHONE = '127.0.0.3';
const SS = '127.0.0.4';
const PORT_MIN = 46400;
const PORT_MAX = 46439; // 20 pairs
const TIMEOUT_MS = 1500;

let sbc: Palisade;
let phone: UdpPeer;
let ss: UdpPeer;
let extPort: number;

async function portsFree(): Promise<number> {
  const m = await sbc.metrics.mediaPortsFree.get();
  return m.values[0]?.value ?? -1;
}

beforeAll(async () => {
  if (libsrtpAvailable()) libsrtpHelper(); // compiled before Palisade runs in this process
  ss = await udpPeer(SS);
  phone = await udpPeer(PHONE);
  const config = configSchema.parse({
    log: { level: 'silent' },
    http: { enabled: false },
    realms: {
      external: { listeners: [{ transport: 'udp', address: EXT, port: 0 }] },
      internal: { listeners: [{ transport: 'udp', address: INT, port: 0 }] },
    },
    softswitches: { targets: [{ id: 'ss', host: SS, port: ss.port, transport: 'udp' }], health: { intervalMs: 3_600_000, timeoutMs: 100, downAfter: 1000 } },
    // the test's own synchronous work (libsrtp runs) must not look like overload
    security: { admission: { maxEventLoopLagMs: 0 } },
    trunks: [{ id: 'phones', sources: [{ cidr: `${PHONE}/32` }], srtp: 'required' }],
    media: {
      portMin: PORT_MIN, portMax: PORT_MAX, workers: 1, timeoutMs: TIMEOUT_MS, statsIntervalMs: 100,
      realms: { external: { address: EXT }, internal: { address: INT } },
      srtp: { external: 'optional', internal: 'off' },
    },
  });
  sbc = await startPalisade(config, { logger: createLogger({ level: (process.env.MEDIA_TEST_LOG ?? 'silent') as 'silent' }) });
  extPort = sbc.transports.listeners().find((l) => l.realm === 'external')!.port;
  // the start-up health probe (OPTIONS) reaches the softswitch peer: answer nothing, skip it
  await new Promise((r) => setTimeout(r, 200));
  await waitUntil(async () => (await portsFree()) === 40 - 2 * 2 * 2, 3000); // two spare sessions held
}, 20_000);

afterAll(async () => {
  await sbc?.stop();
  phone?.close();
  ss?.close();
});

interface Rtp {
  sock: Socket;
  port: number;
  got: Buffer[];
  send(b: Buffer, port: number, address: string): Promise<void>;
  close(): void;
}

async function rtpSocket(address: string): Promise<Rtp> {
  const port = await freePort(address);
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(Buffer.from(m)));
  await new Promise<void>((r) => sock.bind(port, address, () => r()));
  return {
    sock, port, got,
    send: (b, p, a) => new Promise((res, rej) => sock.send(b, p, a, (e) => (e ? rej(e) : res()))),
    close: () => sock.close(),
  };
}

function rtpPacket(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 160);
  b[0] = 0x80;
  b[1] = 0; // PCMU
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(ssrc, 8);
  for (let i = 12; i < b.length; i++) b[i] = (seq * 7 + i) & 0xff;
  return b;
}

const sdp = (addr: string, port: number, proto: string, crypto?: string) =>
  ['v=0', `o=peer 1 1 IN IP4 ${addr}`, `s=${addr}`, `c=IN IP4 ${addr}`, 't=0 0', `m=audio ${port} ${proto} 0 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', ...(crypto ? [crypto] : []), 'a=sendrecv', ''].join('\r\n');

let callNo = 0;
function invite(body: string | undefined, callId: string): string {
  const lines = [
    `INVITE sip:+15551230000@${EXT}:${extPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${PHONE}:${phone.port};branch=z9hG4bK-${callId}-1;rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@${PHONE}>;tag=a-${callId}`,
    `To: <sip:+15551230000@${EXT}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@${PHONE}:${phone.port}>`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body ? Buffer.byteLength(body) : 0}`,
    '',
    body ?? '',
  ];
  return lines.join('\r\n');
}

/** The answer of the scripted softswitch (or phone) to a request it received. */
function reply(req: string, status: number, reason: string, toTag: string, contact: string, body?: string): string {
  const vias = req.split('\r\n').filter((l) => /^via:/i.test(l));
  const to = hdr(req, 'to')!;
  return [
    `SIP/2.0 ${status} ${reason}`,
    ...vias,
    `From: ${hdr(req, 'from')}`,
    `To: ${/tag=/.test(to) ? to : `${to};tag=${toTag}`}`,
    `Call-ID: ${hdr(req, 'call-id')}`,
    `CSeq: ${hdr(req, 'cseq')}`,
    ...(status < 300 && status > 100 ? [`Contact: <${contact}>`] : []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body ? Buffer.byteLength(body) : 0}`,
    '',
    body ?? '',
  ].join('\r\n');
}

function inDialog(method: string, okText: string, callId: string, cseq: number): string {
  const contact = /<([^>]+)>/.exec(hdr(okText, 'contact')!)![1]!;
  return [
    `${method} ${contact} SIP/2.0`,
    `Via: SIP/2.0/UDP ${PHONE}:${phone.port};branch=z9hG4bK-${callId}-${method}-${cseq};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@${PHONE}>;tag=a-${callId}`,
    `To: ${hdr(okText, 'to')}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const bodyOf = (text: string) => text.slice(text.indexOf('\r\n\r\n') + 4);
const mPort = (body: string) => Number(/^m=audio (\d+)/m.exec(body)![1]);

/** Sets up a call phone → Palisade → softswitch; returns what each side saw. */
async function call(o: { proto?: string; crypto?: SdesCrypto; answer?: 'ok' | 'busy' | 'none' } = {}) {
  const callId = `media-${++callNo}-${Date.now()}`;
  const phoneRtp = await rtpSocket(PHONE);
  const ssRtp = await rtpSocket(SS);
  const phoneKey = o.crypto ?? generateCrypto(1, 'AES_CM_128_HMAC_SHA1_80').crypto;
  const offer = sdp(PHONE, phoneRtp.port, o.proto ?? 'RTP/SAVP', o.proto === 'RTP/AVP' ? undefined : `a=crypto:1 ${phoneKey.suite.name} ${/inline:\S+/.exec(generateLine(phoneKey))![0]}`);
  await phone.send(invite(offer, callId), extPort, EXT);
  return { callId, phoneRtp, ssRtp, phoneKey, offer };
}

function generateLine(c: SdesCrypto): string {
  return `inline:${Buffer.concat([c.keys[0]!.key, c.keys[0]!.salt]).toString('base64')}`;
}

async function answered(callId: string, ssRtp: Rtp) {
  const inv = await ss.next((t) => t.startsWith('INVITE ') && !t.includes(`Call-ID: ${callId}`) && t.includes('m=audio'));
  await ss.send(reply(inv.text, 200, 'OK', `ss-${callId}`, `sip:ss@${SS}:${ss.port}`, sdp(SS, ssRtp.port, 'RTP/AVP')), inv.from.port, inv.from.address);
  const ok = await phone.next((t) => startLine(t).startsWith('SIP/2.0 200') && hdr(t, 'call-id') === callId && hdr(t, 'cseq') === '1 INVITE');
  await phone.send(inDialog('ACK', ok.text, callId, 1), extPort, EXT);
  await ss.next((t) => t.startsWith('ACK '));
  return { inv, ok };
}

async function hangup(callId: string, ok: string) {
  await phone.send(inDialog('BYE', ok, callId, 2), extPort, EXT);
  const bye = await ss.next((t) => t.startsWith('BYE '));
  await ss.send(reply(bye.text, 200, 'OK', '', ''), bye.from.port, bye.from.address);
  await phone.next((t) => startLine(t).startsWith('SIP/2.0 200') && hdr(t, 'call-id') === callId && hdr(t, 'cseq') === '2 BYE');
}

describe('SRTP (external, required for the trunk) ⇄ RTP (internal) through the relay', () => {
  let baseline: number;
  beforeAll(async () => {
    baseline = await portsFree();
  });

  it('audio arrives both ways with the same payloads; SDP on each side names only Palisade on that realm', async () => {
    const c = await call();
    const { inv, ok } = await answered(c.callId, c.ssRtp);

    // what the softswitch got: plain RTP/AVP on Palisade's internal address, nothing external
    const toSs = bodyOf(inv.text);
    expect(toSs).toMatch(/^m=audio \d+ RTP\/AVP 0 101/m);
    expect(toSs).not.toContain('a=crypto');
    expect([...toSs.matchAll(/IN IP4 (\S+)/g)].map((m) => m[1])).toEqual([INT, INT]);
    for (const leak of [PHONE, EXT, String(c.phoneRtp.port)]) expect(toSs).not.toContain(leak);
    expect(toSs).toContain('a=rtpmap:101 telephone-event/8000');

    // what the phone got: RTP/SAVP on Palisade's external address with Palisade's own key
    const toPhone = bodyOf(ok.text);
    expect(toPhone).toMatch(/^m=audio \d+ RTP\/SAVP 0 101/m);
    expect([...toPhone.matchAll(/IN IP4 (\S+)/g)].map((m) => m[1])).toEqual([EXT, EXT]);
    for (const leak of [SS, INT, String(c.ssRtp.port)]) expect(toPhone).not.toContain(leak);
    const cryptoLines = toPhone.split('\r\n').filter((l) => l.startsWith('a=crypto:'));
    expect(cryptoLines).toHaveLength(1);
    const sbcKey = parseCrypto(cryptoLines[0]!);
    if (!sbcKey.ok) throw new Error(sbcKey.detail);
    expect(sbcKey.crypto.tag).toBe(1);
    expect(generateLine(sbcKey.crypto)).not.toBe(generateLine(c.phoneKey));

    const extMedia = mPort(toPhone);
    const intMedia = mPort(toSs);
    // phone → Palisade: SRTP made with our transform (and the same bytes libsrtp makes)
    const tx = contextFromCrypto(c.phoneKey);
    const plain = Array.from({ length: 20 }, (_, i) => rtpPacket(1000 + i, 0x11223344));
    const protectedPkts = plain.map((p) => {
      const r = tx.protectRtp(p);
      if (!r.ok) throw new Error(r.reason);
      return Buffer.from(r.packet);
    });
    const keyBytes = Buffer.concat([c.phoneKey.keys[0]!.key, c.phoneKey.keys[0]!.salt]);
    if (libsrtpAvailable()) {
      const ref = runLibsrtp('protect', c.phoneKey.suite.name, keyBytes, plain.map((data) => ({ kind: 'rtp' as const, data })));
      expect(ref?.map((b) => (typeof b === 'string' ? b : b.toString('hex')))).toEqual(protectedPkts.map((b) => b.toString('hex')));
    }
    for (const p of protectedPkts) {
      await c.phoneRtp.send(p, extMedia, EXT);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await waitUntil(() => c.ssRtp.got.length >= 20, 3000), `softswitch got ${c.ssRtp.got.length}`).toBe(true);
    expect(c.ssRtp.got.map((b) => b.toString('hex'))).toEqual(plain.map((b) => b.toString('hex')));

    // softswitch → Palisade: plain RTP, the phone gets SRTP under Palisade's key
    const back = Array.from({ length: 20 }, (_, i) => rtpPacket(5000 + i, 0x55667788));
    for (const p of back) {
      await c.ssRtp.send(p, intMedia, INT);
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await waitUntil(() => c.phoneRtp.got.length >= 20, 3000), `phone got ${c.phoneRtp.got.length}`).toBe(true);
    const rx = contextFromCrypto(sbcKey.crypto);
    const opened = c.phoneRtp.got.map((p) => {
      const r = rx.unprotectRtp(p);
      if (!r.ok) throw new Error(r.reason);
      return Buffer.from(r.packet).toString('hex');
    });
    expect(opened).toEqual(back.map((b) => b.toString('hex')));
    if (libsrtpAvailable()) {
      const ref = runLibsrtp('unprotect', sbcKey.crypto.suite.name, Buffer.concat([sbcKey.crypto.keys[0]!.key, sbcKey.crypto.keys[0]!.salt]), c.phoneRtp.got.map((data) => ({ kind: 'rtp' as const, data })));
      expect(ref?.map((b) => (typeof b === 'string' ? b : b.toString('hex')))).toEqual(back.map((b) => b.toString('hex')));
    }
    // a forged packet (bad tag) from the phone's address is dropped, not relayed
    const forged = Buffer.from(protectedPkts[0]!);
    forged[forged.length - 1]! ^= 0xff;
    const before = c.ssRtp.got.length;
    await c.phoneRtp.send(forged, extMedia, EXT);
    await new Promise((r) => setTimeout(r, 100));
    expect(c.ssRtp.got.length).toBe(before);

    await hangup(c.callId, ok.text);
    c.phoneRtp.close();
    c.ssRtp.close();
    expect(await waitUntil(async () => (await portsFree()) === baseline, 3000), `ports free ${await portsFree()} vs ${baseline}`).toBe(true);
    const packets = await sbc.metrics.mediaPackets.get();
    expect(packets.values.filter((v) => v.labels.direction === 'in').reduce((a, v) => a + v.value, 0)).toBeGreaterThanOrEqual(40);
  }, 20_000);

  it('an offer without SRTP from the trunk gets 488 and holds no ports', async () => {
    const c = await call({ proto: 'RTP/AVP' });
    const r = await phone.next((t) => hdr(t, 'call-id') === c.callId && /^SIP\/2\.0 [2-6]\d\d/.test(startLine(t)) && !startLine(t).startsWith('SIP/2.0 100'));
    expect(startLine(r.text)).toMatch(/^SIP\/2\.0 488/);
    c.phoneRtp.close();
    c.ssRtp.close();
    expect(await waitUntil(async () => (await portsFree()) === baseline, 3000)).toBe(true);
  });

  it('ports come back after a failed call and a cancelled call', async () => {
    // busy
    const c1 = await call();
    const inv1 = await ss.next((t) => t.startsWith('INVITE ') && t.includes('m=audio'));
    await ss.send(reply(inv1.text, 486, 'Busy Here', 'ss-busy', ''), inv1.from.port, inv1.from.address);
    const busy = await phone.next((t) => hdr(t, 'call-id') === c1.callId && startLine(t).startsWith('SIP/2.0 486'));
    await phone.send(inDialog('ACK', busy.text.replace(/\r\n\r\n/, `\r\nContact: <sip:${EXT}:${extPort}>\r\n\r\n`), c1.callId, 1).replace(/branch=\S+/, `branch=z9hG4bK-${c1.callId}-1;rport`), extPort, EXT);
    expect(await waitUntil(async () => (await portsFree()) === baseline, 3000), 'after 486').toBe(true);

    // cancelled after ringing
    const c2 = await call();
    const inv2 = await ss.next((t) => t.startsWith('INVITE ') && t.includes('m=audio'));
    await ss.send(reply(inv2.text, 180, 'Ringing', 'ss-ring', `sip:ss@${SS}:${ss.port}`), inv2.from.port, inv2.from.address);
    await phone.next((t) => hdr(t, 'call-id') === c2.callId && startLine(t).startsWith('SIP/2.0 180'));
    const cancel = invite(undefined, c2.callId).replace(/^INVITE /, 'CANCEL ').replace('CSeq: 1 INVITE', 'CSeq: 1 CANCEL').replace(/Contact: [^\r]+\r\n/, '');
    await phone.send(cancel, extPort, EXT);
    const cc = await ss.next((t) => t.startsWith('CANCEL '));
    await ss.send(reply(cc.text, 200, 'OK', 'ss-ring', ''), cc.from.port, cc.from.address);
    await ss.send(reply(inv2.text, 487, 'Request Terminated', 'ss-ring', ''), inv2.from.port, inv2.from.address);
    await phone.next((t) => hdr(t, 'call-id') === c2.callId && startLine(t).startsWith('SIP/2.0 487'));
    expect(await waitUntil(async () => (await portsFree()) === baseline, 3000), 'after CANCEL').toBe(true);
    for (const c of [c1, c2]) {
      c.phoneRtp.close();
      c.ssRtp.close();
    }
  }, 20_000);

  it('a call whose media stops is ended by the media timeout with BYE both ways, and its ports come back', async () => {
    const c = await call();
    await answered(c.callId, c.ssRtp);
    const byeSs = await ss.next((t) => t.startsWith('BYE '), TIMEOUT_MS + 4000);
    const byePhone = await phone.next((t) => t.startsWith('BYE ') && hdr(t, 'call-id') === c.callId, 2000);
    expect(byeSs.text).toBeTruthy();
    expect(byePhone.text).toBeTruthy();
    // RFC 3326: the BYE says why the SBC ended the call
    expect(hdr(byeSs.text, 'reason')).toBe('SIP;cause=408;text="media timeout"');
    expect(hdr(byePhone.text, 'reason')).toBe('SIP;cause=408;text="media timeout"');
    expect(await waitUntil(async () => (await portsFree()) === baseline, 3000)).toBe(true);
    c.phoneRtp.close();
    c.ssRtp.close();
  }, 20_000);
});
