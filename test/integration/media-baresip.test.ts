// Real-client interop (issue 5): Debian baresip over TLS with mandatory SRTP calls
// through Palisade to a plain-RTP baresip on the internal side; both play a pattern
// of tones and record what they receive, and the recordings are compared with what
// the other side sent.
//
// Topology (loopback): caller baresip SIP on 127.0.3.3 → Palisade external TLS
// listener and media on 127.0.3.1 → Palisade internal UDP listener and media on
// 127.0.3.2 → callee baresip SIP on 127.0.3.4 (the softswitch target: the INVITE
// reaches it directly, it auto-answers). baresip's RTP leaves from 127.0.0.1 (see
// test/helpers/baresip.ts), which is what both clients put in their SDP.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { compareWithSent, readWav, toneSamples, writeWav, type Comparison, type Pcm } from '../helpers/audio.js';
import { startBaresip, traced, type Baresip, type SipTraceMessage } from '../helpers/baresip.js';
import { haveTool } from '../helpers/tools.js';
import { makePki, type TestPki } from '../transport/helpers.js';

const hasBaresip = haveTool('baresip', 'baresip');

const PALISADE_EXT = '127.0.3.1';
const PALISADE_INT = '127.0.3.2';
const CALLER_IP = '127.0.3.3';
const CALLEE_IP = '127.0.3.4';
const CLIENT_MEDIA_IP = '127.0.0.1';
const CALLEE_USER = '+12025550147';

// Disjoint tone sets, multiples of the 20 Hz analysis bins, each played 250 ms in a
// scrambled order: a recording that matches lines up with what was sent, and a side's
// own tones coming back would be noticed.
const CALLER_TONES = [1000, 400, 1600, 800, 1400, 600, 1800, 1200];
const CALLEE_TONES = [700, 1500, 500, 1900, 1100, 300, 1300, 900];
const ALL_TONES = [...CALLER_TONES, ...CALLEE_TONES];
/** How long the call is held once established. */
const TALK_MS = 3000;
// aufile ends the call when its file runs out: play longer than the call
const WAV_MS = 12_000;

let pki: TestPki;
let callerWav: string;
let calleeWav: string;
let callerSent: Pcm;
let calleeSent: Pcm;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  if (!hasBaresip) return;
  pki = makePki();
  callerSent = toneSamples({ freqs: CALLER_TONES, toneMs: 250, totalMs: WAV_MS });
  calleeSent = toneSamples({ freqs: CALLEE_TONES, toneMs: 250, totalMs: WAV_MS });
  callerWav = join(pki.dir, 'caller.wav');
  calleeWav = join(pki.dir, 'callee.wav');
  writeWav(callerWav, callerSent);
  writeWav(calleeWav, calleeSent);
});

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

afterAll(() => {
  pki?.cleanup();
});

function config(calleePort: number, media: Record<string, unknown>): PalisadeConfig {
  return configSchema.parse({
    log: { level: 'silent' },
    http: { address: '127.0.0.1', port: 0 },
    transport: { tls: { certFile: pki.server.certFile, keyFile: pki.server.keyFile, caFile: pki.caFile, watch: false, generateIfMissing: false } },
    realms: {
      external: { listeners: [{ id: 'ext-tls', transport: 'tls', address: PALISADE_EXT, port: 0 }] },
      internal: { listeners: [{ id: 'int-udp', transport: 'udp', address: PALISADE_INT, port: 0 }] },
    },
    softswitches: {
      targets: [{ id: 'callee', host: CALLEE_IP, port: calleePort, transport: 'udp' }],
      health: { intervalMs: 3_600_000, timeoutMs: 1000, downAfter: 1000 },
    },
    // the caller is a trunk by address: its TLS connection comes from its SIP address
    // or, unbound, from 127.0.0.1
    trunks: [{ id: 'baresip', sources: [{ cidr: `${CALLER_IP}/32` }, { cidr: '127.0.0.1/32', transport: 'tls' }] }],
    media,
  });
}

interface CallResult {
  caller: Baresip;
  callee: Baresip;
  sbc: Palisade;
  established: boolean;
  callerTrace: SipTraceMessage[];
  calleeTrace: SipTraceMessage[];
  /** What the callee recorded, compared with what the caller sent; and the reverse. */
  atCallee: Comparison | undefined;
  atCaller: Comparison | undefined;
  metrics: string;
  diag: string;
}

/**
 * Starts the callee, Palisade (media config `media`), the caller; the caller dials
 * through Palisade's TLS listener, the callee answers, the call is held TALK_MS and
 * hung up by the caller. Everything is stopped before this returns.
 */
async function call(media: Record<string, unknown>, calleeMediaenc: 'srtp-mand' | undefined): Promise<CallResult> {
  const callee = await startBaresip({
    name: 'callee',
    sipAddress: CALLEE_IP,
    mediaAddress: CLIENT_MEDIA_IP,
    account: { user: CALLEE_USER, host: CALLEE_IP, transport: 'udp', answermode: 'auto', ...(calleeMediaenc ? { mediaenc: calleeMediaenc } : {}) },
    audioFile: calleeWav,
    lifetimeMs: 25_000,
  });
  cleanups.push(async () => {
    await callee.stop();
    callee.cleanup();
  });
  const sbc = await startPalisade(config(callee.sipPort, media), { logger: createLogger({ level: 'silent' }) });
  cleanups.push(() => sbc.stop());
  const caller = await startBaresip({
    name: 'caller',
    sipAddress: CALLER_IP,
    mediaAddress: CLIENT_MEDIA_IP,
    account: { user: 'caller', host: CALLER_IP, transport: 'tls', mediaenc: 'srtp-mand' },
    audioFile: callerWav,
    caFile: pki.caFile,
    lifetimeMs: 25_000,
  });
  cleanups.push(async () => {
    await caller.stop();
    caller.cleanup();
  });
  const tls = sbc.transports.listeners().find((l) => l.id === 'ext-tls')!.port;

  const dial = await caller.ctrl.command('dial', `sip:${CALLEE_USER}@${PALISADE_EXT}:${tls};transport=tls`);
  let established = false;
  try {
    await Promise.all([
      caller.ctrl.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000),
      callee.ctrl.waitEvent((e) => e.type === 'CALL_ESTABLISHED', 10_000),
    ]);
    established = true;
    await new Promise((r) => setTimeout(r, TALK_MS));
    await caller.ctrl.command('hangup');
  } catch {
    // not established or not ended: the assertions below say what was seen
  }
  await Promise.allSettled([
    caller.ctrl.waitEvent((e) => e.type === 'CALL_CLOSED', 5000),
    callee.ctrl.waitEvent((e) => e.type === 'CALL_CLOSED', 5000),
  ]);
  // the relay's counters reach metrics once per stats tick
  await new Promise((r) => setTimeout(r, 1200));
  const metrics = await (await fetch(`http://127.0.0.1:${sbc.http!.port}/metrics`)).text();
  // stopping flushes their output (piped stdout is block-buffered) and closes the dumps
  await Promise.all([caller.stop(), callee.stop()]);

  const compare = (b: Baresip, sent: Pcm, own: readonly number[]): Comparison | undefined => {
    const dec = b.recordings().dec;
    return dec ? compareWithSent(readWav(dec), sent, ALL_TONES, own) : undefined;
  };
  const atCallee = compare(callee, callerSent, CALLEE_TONES);
  const atCaller = compare(caller, calleeSent, CALLER_TONES);
  const events = (b: Baresip) => b.ctrl.events.map((e) => `${e.type}${e.param ? `(${e.param})` : ''}`).join(' ');
  const diag = [
    `dial: ${JSON.stringify(dial)}`,
    `caller SIP: ${flow(caller.sipTrace())}`,
    `callee SIP: ${flow(callee.sipTrace())}`,
    `caller events: ${events(caller)}`,
    `callee events: ${events(callee)}`,
    `at callee: ${summary(atCallee)}`,
    `at caller: ${summary(atCaller)}`,
    `relay: ${metricLines(metrics, /^palisade_(media_(packets_total|drops_total)|call_(mos|packet_loss_ratio|jitter_seconds)_(sum|count))/).join('; ')}`,
    '--- caller log ---',
    tail(caller.log(), 6000),
    '--- callee log ---',
    tail(callee.log(), 6000),
  ].join('\n');
  return { caller, callee, sbc, established, callerTrace: caller.sipTrace(), calleeTrace: callee.sipTrace(), atCallee, atCaller, metrics, diag };
}

function flow(trace: SipTraceMessage[]): string {
  return trace.map((m) => `${m.direction === 'sent' ? '>' : '<'} ${m.startLine.replace(/ SIP\/2\.0$/, '').replace(/^SIP\/2\.0 /, '')}`).join(' | ');
}

function summary(c: Comparison | undefined): string {
  if (!c) return 'no recording';
  return `${c.seconds.toFixed(2)} s, rms ${c.rms.toFixed(0)}, lag ${c.lag}, correlation ${c.correlation.toFixed(3)}, ${c.toneBlocks}/${c.blocks} blocks carry a tone, ${c.matchingBlocks}/${c.comparableBlocks} comparable blocks match, ${c.foreignBlocks} foreign; track ${c.track.join(',')}`;
}

function tail(s: string, n: number): string {
  // the trace's colour escapes make failure output unreadable
  const clean = s.replace(/\x1b\[[0-9;]*m/g, '');
  return clean.length > n ? `…${clean.slice(-n)}` : clean;
}

function metricLines(text: string, re: RegExp): string[] {
  return text.split('\n').filter((l) => re.test(l));
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const l of text.split('\n')) {
    if (!l.startsWith(`${name}{`) && !l.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) continue;
    sum += Number(l.slice(l.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The audio line of an SDP body: connection address, port, profile, crypto lines. */
function sdpAudio(body: string): { c: string | undefined; port: number; proto: string; crypto: string[] } {
  const lines = body.split(/\r?\n/);
  const c = lines.find((l) => l.startsWith('c=IN IP4 '))?.slice('c=IN IP4 '.length).trim();
  const m = lines.find((l) => l.startsWith('m=audio '))?.split(' ') ?? [];
  return { c, port: Number(m[1] ?? 0), proto: m[2] ?? '', crypto: lines.filter((l) => l.startsWith('a=crypto:')) };
}

/** Requires the recording to be the other side's tone pattern for most of the call. */
function expectAudio(c: Comparison | undefined, what: string, diag: string): void {
  expect(c, `${what}: no sndfile recording\n${diag}`).toBeDefined();
  const r = c!;
  // not silence, and about as long as the call
  expect(r.rms, `${what}: silence\n${diag}`).toBeGreaterThan(1000);
  expect(r.seconds, `${what}: too short\n${diag}`).toBeGreaterThan((TALK_MS / 1000) * 0.7);
  // the waveform is what was sent (G.711 µ-law keeps it well above 0.9)
  expect(r.correlation, `${what}: does not match what was sent\n${diag}`).toBeGreaterThan(0.9);
  // a tone for most of the call, and the tone sent at each place is the one received there
  expect(r.toneBlocks / r.blocks, `${what}: tones missing\n${diag}`).toBeGreaterThan(0.7);
  expect(r.comparableBlocks / r.blocks, `${what}: recording does not line up with what was sent\n${diag}`).toBeGreaterThan(0.7);
  expect(r.matchingBlocks / r.comparableBlocks, `${what}: tones do not match\n${diag}`).toBeGreaterThan(0.9);
  expect(r.foreignBlocks, `${what}: its own tones came back\n${diag}`).toBe(0);
}

describe('baresip (TLS, mandatory SRTP) → Palisade → baresip (plain RTP)', () => {
  it.skipIf(!hasBaresip)('media anchored: SRTP on the external leg, RTP on the internal one, audio arrives both ways', async () => {
    const portMin = 30000 + 200 * Math.floor(Math.random() * 45);
    const r = await call(
      {
        enabled: true,
        srtp: { external: 'required', internal: 'off' },
        portMin,
        portMax: portMin + 199,
        workers: 1,
        realms: { external: { address: PALISADE_EXT }, internal: { address: PALISADE_INT } },
      },
      undefined,
    );
    expect(r.established, `call not established\n${r.diag}`).toBe(true);

    // the caller's INVITE went out as RTP/SAVP with keys; the answer it got is Palisade's external side
    const offer = traced(r.callerTrace, 'sent', /^INVITE /)[0];
    expect(offer, r.diag).toBeDefined();
    expect(sdpAudio(offer!.body).proto).toBe('RTP/SAVP');
    const answer = traced(r.callerTrace, 'received', /^SIP\/2\.0 200 /).find((m) => m.body.includes('m=audio'));
    expect(answer, `caller got no 200 with SDP\n${r.diag}`).toBeDefined();
    const toCaller = sdpAudio(answer!.body);
    expect(toCaller.c).toBe(PALISADE_EXT);
    expect(toCaller.proto).toBe('RTP/SAVP');
    expect(toCaller.crypto.length).toBeGreaterThan(0);
    expect(toCaller.port).toBeGreaterThanOrEqual(portMin);
    expect(toCaller.port).toBeLessThanOrEqual(portMin + 199);

    // the callee was offered plain RTP on Palisade's internal address, no keys
    const invite = traced(r.calleeTrace, 'received', /^INVITE /)[0];
    expect(invite, `callee got no INVITE\n${r.diag}`).toBeDefined();
    const toCallee = sdpAudio(invite!.body);
    expect(toCallee.c).toBe(PALISADE_INT);
    expect(toCallee.proto).toBe('RTP/AVP');
    expect(toCallee.crypto).toEqual([]);
    expect(toCallee.port).toBeGreaterThanOrEqual(portMin);
    expect(toCallee.port).toBeLessThanOrEqual(portMin + 199);
    // and neither side saw the other's media port
    const calleeOwn = sdpAudio(traced(r.calleeTrace, 'sent', /^SIP\/2\.0 200 /).find((m) => m.body.includes('m=audio'))?.body ?? '');
    expect(toCaller.port).not.toBe(calleeOwn.port);
    expect(toCallee.port).not.toBe(sdpAudio(offer!.body).port);
    // nor any client address: both clients' media is on 127.0.0.1, Palisade's is not.
    // a=ssrc lines are left out: their cname is the client's own SIP URI as it was
    // called (the callee's names the host in its Request-URI, Palisade's internal
    // address), and Palisade passes them through as it does other attributes.
    const addressed = (body: string) => body.split('\r\n').filter((l) => !l.startsWith('a=ssrc:')).join('\r\n');
    for (const ip of [CLIENT_MEDIA_IP, PALISADE_INT, CALLEE_IP]) expect(addressed(answer!.body), `${ip} towards the caller\n${r.diag}`).not.toContain(ip);
    for (const ip of [CLIENT_MEDIA_IP, PALISADE_EXT, CALLER_IP]) expect(addressed(invite!.body), `${ip} towards the callee\n${r.diag}`).not.toContain(ip);

    // audio: what each side recorded is what the other sent
    expectAudio(r.atCallee, 'callee (RTP from the SRTP caller)', r.diag);
    expectAudio(r.atCaller, 'caller (SRTP from the RTP callee)', r.diag);

    // the relay carried it, both ways on both realms (50 packets/s of 20 ms audio)
    const expected = 0.7 * (TALK_MS / 20);
    for (const direction of ['in', 'out']) {
      for (const realm of ['external', 'internal']) {
        expect(metricValue(r.metrics, 'palisade_media_packets_total', { direction, realm }), `${direction} ${realm}\n${r.diag}`).toBeGreaterThan(expected);
      }
    }
    // Palisade's SRTP and SRTCP decrypt at the real client
    expect(r.caller.log(), r.diag).not.toMatch(/srtp: failed to (decrypt|encrypt)/);
    // Drops: baresip 1.0 starts RTCP before its SRTP context ("starting RTCP" precedes
    // "SRTP is Enabled" in its log), so its first RTCP leaves unprotected, and the
    // media-disabled run shows its own peer refusing that packet (16 bytes) and one
    // more at hang-up (48 bytes) too: one srtp_auth and one malformed at most.
    // Packets racing the answer, or arriving after the session ended, have no session.
    expect(metricValue(r.metrics, 'palisade_media_drops_total', { reason: 'srtp_auth' }), r.diag).toBeLessThanOrEqual(1);
    expect(metricValue(r.metrics, 'palisade_media_drops_total', { reason: 'malformed' }), r.diag).toBeLessThanOrEqual(1);
    expect(metricValue(r.metrics, 'palisade_media_drops_total', { reason: 'replay' }), r.diag).toBe(0);
    expect(metricValue(r.metrics, 'palisade_media_drops_total', { reason: 'unexpected_source' }), r.diag).toBe(0);
    expect(metricValue(r.metrics, 'palisade_media_drops_total', { reason: 'no_session' }), r.diag).toBeLessThanOrEqual(4);
    // call quality was measured for the streams the relay received
    expect(metricValue(r.metrics, 'palisade_call_mos_count', {}), r.diag).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it.skipIf(!hasBaresip)('media disabled: SDP passes untouched and SRTP flows end to end between the clients', async () => {
    const r = await call({ enabled: false }, 'srtp-mand');
    expect(r.established, `call not established\n${r.diag}`).toBe(true);
    const invite = traced(r.calleeTrace, 'received', /^INVITE /)[0];
    expect(invite, r.diag).toBeDefined();
    const toCallee = sdpAudio(invite!.body);
    const sent = sdpAudio(traced(r.callerTrace, 'sent', /^INVITE /)[0]!.body);
    expect(toCallee).toEqual(sent);
    expect(toCallee.c).toBe(CLIENT_MEDIA_IP);
    expect(toCallee.proto).toBe('RTP/SAVP');
    expectAudio(r.atCallee, 'callee', r.diag);
    expectAudio(r.atCaller, 'caller', r.diag);
    expect(metricValue(r.metrics, 'palisade_media_packets_total', {}), r.diag).toBe(0);
  }, 60_000);
});
