// Debian baresip (1.0) as a real SIP client in tests: a generated config directory,
// one account, audio played from a WAV (aufile) and recorded through the sndfile
// filter (it dumps what is encoded and what is decoded, each as a WAV), a SIP trace
// (-s) cut into messages, and a client for its ctrl_tcp socket (netstring-framed
// JSON commands and events). Every process is bounded in time (-t plus a kill timer)
// and killed when the test stops it.
//
// Facts about baresip 1.0 this relies on:
// - no audio device is needed: aufile is the source; the player is aubridge (a
//   device-less bridge), so received audio is only decoded and dumped by sndfile;
// - aufile plays its file once and the call ends when it runs out: the WAV must be
//   longer than the call;
// - `dial` and `hangup` are the menu module's commands, so menu must be loaded;
// - RTP sockets bind to the wildcard address, so on loopback packets leave from
//   127.0.0.1 whatever address the SDP shows: `net_interface` (the SDP address)
//   defaults to 127.0.0.1 here so signaled and real addresses agree;
// - with `sip_listen IP:P` it listens on UDP and TCP port P and TLS port P+1;
// - ctrl_tcp serves one connection at a time: keep the one client open.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface AccountOptions {
  /** The AOR's user (a callee must be called with this user in the Request-URI). */
  user: string;
  /** The AOR's host (nothing is registered: regint=0). */
  host: string;
  transport: 'udp' | 'tcp' | 'tls';
  /** srtp (best effort, RTP/AVP + a=crypto), srtp-mand (RTP/SAVP), srtp-mandf (RTP/SAVPF); none when absent. */
  mediaenc?: 'srtp' | 'srtp-mand' | 'srtp-mandf';
  answermode?: 'manual' | 'early' | 'auto';
  /** Default pcmu: one codec keeps the comparison free of transcoding questions. */
  audioCodecs?: string;
}

export function accountLine(a: AccountOptions): string {
  const params = [`regint=0`, `audio_codecs=${a.audioCodecs ?? 'pcmu'}`];
  if (a.mediaenc) params.push(`mediaenc=${a.mediaenc}`);
  if (a.answermode) params.push(`answermode=${a.answermode}`);
  return `<sip:${a.user}@${a.host};transport=${a.transport}>;${params.join(';')}`;
}

export interface BaresipOptions {
  /** For logs and the temporary directory's name. */
  name: string;
  /** Loopback IP its SIP transports bind to. */
  sipAddress: string;
  /** Address written into its SDP (net_interface); default 127.0.0.1, see above. */
  mediaAddress?: string;
  account: AccountOptions;
  /** WAV (8 kHz, S16LE, mono) played as the microphone. */
  audioFile: string;
  /** CA bundle for TLS (sip_cafile). */
  caFile?: string;
  /** Hard limit on the process's life; it exits by itself (-t) and is killed a little later. */
  lifetimeMs: number;
}

export interface SipTraceMessage {
  readonly direction: 'sent' | 'received';
  readonly transport: string;
  readonly from: string;
  readonly to: string;
  /** Start line and headers, CRLF-joined. */
  readonly head: string;
  readonly body: string;
  readonly startLine: string;
}

export interface CtrlEvent {
  readonly type: string;
  readonly class?: string;
  readonly accountaor?: string;
  readonly direction?: string;
  readonly peeruri?: string;
  readonly id?: string;
  readonly param?: string;
  readonly [k: string]: unknown;
}

export interface CtrlResponse {
  readonly ok: boolean;
  readonly data: string;
}

export interface CtrlClient {
  /** Sends `{"command": …, "params": …}`; resolves with the next response. */
  command(command: string, params?: string, timeoutMs?: number): Promise<CtrlResponse>;
  /** Every event received so far, in order. */
  readonly events: CtrlEvent[];
  /** The first event (already received or yet to come) matching `pred`. */
  waitEvent(pred: (e: CtrlEvent) => boolean, timeoutMs: number): Promise<CtrlEvent>;
  close(): void;
}

export interface Baresip {
  readonly name: string;
  readonly dir: string;
  readonly sipAddress: string;
  /** UDP/TCP port; TLS listens on sipPort + 1. */
  readonly sipPort: number;
  readonly ctrlPort: number;
  readonly ctrl: CtrlClient;
  /** Everything it printed so far (stdout and stderr; stdout arrives in blocks when piped). */
  log(): string;
  /** The SIP trace in its output (complete after stop()). */
  sipTrace(): SipTraceMessage[];
  /** The newest sndfile dumps: `enc` is what it sent, `dec` what it received. */
  recordings(): { enc?: string; dec?: string };
  /** Ends it (SIGTERM, then SIGKILL) and waits for the exit; idempotent. */
  stop(): Promise<void>;
  /** Exit code (or signal name) once exited. */
  readonly exited: Promise<string>;
  /** Deletes its directory. */
  cleanup(): void;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // a test runner that dies must not leave clients behind
    process.once('exit', () => {
      for (const c of running) c.kill('SIGKILL');
    });
  }
}

async function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/** A port P free on `host` with P+1 free for TCP too (baresip's TLS listener). */
async function sipPortPair(host: string): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await freePort(host);
    if (p < 65535 && (await tcpFree(host, p + 1))) return p;
  }
  throw new Error(`no free SIP port pair on ${host}`);
}

/** A 200-port RTP range above the ranges Palisade's relays use in tests (20000-39999). */
function rtpRange(): string {
  const base = 40000 + 200 * Math.floor(Math.random() * 100);
  return `${base}-${base + 199}`;
}

function configText(o: BaresipOptions, sipPort: number, ctrlPort: number, recDir: string): string {
  const lines = [
    'poll_method\tepoll',
    `sip_listen\t${o.sipAddress}:${sipPort}`,
    ...(o.caFile ? [`sip_cafile\t${o.caFile}`] : []),
    'call_local_timeout\t30',
    'call_max_calls\t2',
    `audio_source\taufile,${o.audioFile}`,
    'audio_player\taubridge,nil',
    'audio_alert\taubridge,nil',
    'audio_level\tno',
    'ausrc_format\ts16',
    'auplay_format\ts16',
    'auenc_format\ts16',
    'audec_format\ts16',
    `rtp_ports\t${rtpRange()}`,
    'rtcp_mux\tno',
    'jitter_buffer_delay\t5-10',
    'rtp_stats\tno',
    `net_interface\t${o.mediaAddress ?? '127.0.0.1'}`,
    'module_path\t/usr/lib/baresip/modules',
    'module\tg711.so',
    'module\taufile.so',
    'module\taubridge.so',
    'module\tsndfile.so',
    'module\tsrtp.so',
    'module_tmp\taccount.so',
    'module_app\tmenu.so',
    'module_app\tctrl_tcp.so',
    `ctrl_tcp_listen\t${o.sipAddress}:${ctrlPort}`,
    `snd_path\t${recDir}`,
    '',
  ];
  return lines.join('\n');
}

export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  const dir = mkdtempSync(join(tmpdir(), `palisade-baresip-${o.name}-`));
  const recDir = join(dir, 'rec');
  mkdirSync(recDir);
  const sipPort = await sipPortPair(o.sipAddress);
  const ctrlPort = await freePort(o.sipAddress);
  writeFileSync(join(dir, 'config'), configText(o, sipPort, ctrlPort, recDir));
  writeFileSync(join(dir, 'accounts'), `${accountLine(o.account)}\n`);
  writeFileSync(join(dir, 'contacts'), '');

  const lifetimeS = Math.max(1, Math.ceil(o.lifetimeMs / 1000));
  const child = spawn('baresip', ['-f', dir, '-s', '-v', '-t', String(lifetimeS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let out = '';
  child.stdout!.setEncoding('latin1').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('latin1').on('data', (d: string) => (out += d));
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? String(code)));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const killTimer = setTimeout(() => child.kill('SIGKILL'), o.lifetimeMs + 5000);
  killTimer.unref();
  void exited.then(() => clearTimeout(killTimer));

  const stop = async (): Promise<void> => {
    if (!gone) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    ctrl?.close();
  };

  let ctrl: CtrlClient | undefined;
  try {
    ctrl = await connectCtrl(o.sipAddress, ctrlPort, 5000, () => gone);
  } catch (err) {
    await stop();
    throw new Error(`baresip ${o.name} did not open ctrl_tcp: ${(err as Error).message}\n${out}`);
  }
  const ownIps = new Set([o.sipAddress, o.mediaAddress ?? '127.0.0.1']);
  const client = ctrl;
  return {
    name: o.name,
    dir,
    sipAddress: o.sipAddress,
    sipPort,
    ctrlPort,
    ctrl: client,
    log: () => out,
    sipTrace: () => parseSipTrace(out, ownIps),
    recordings() {
      const files = readdirSync(recDir).sort();
      const last = (suffix: string) => files.filter((f) => f.endsWith(suffix)).pop();
      const enc = last('-enc.wav');
      const dec = last('-dec.wav');
      return { ...(enc ? { enc: join(recDir, enc) } : {}), ...(dec ? { dec: join(recDir, dec) } : {}) };
    },
    stop,
    exited,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

// ---- SIP trace ---------------------------------------------------------------------

// -s prints each message as ESC[36;1m "#" NL, "TLS src -> dst" NL, the message, ESC[;m
const TRACE_RE = /\x1b\[36;1m#\r?\n(UDP|TCP|TLS|WS|WSS) (\S+) -> (\S+)\r?\n([\s\S]*?)\x1b\[;m/g;

function hostOf(hostPort: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(hostPort) ?? /^([^:]+):\d+$/.exec(hostPort);
  return m ? m[1]! : hostPort;
}

export function parseSipTrace(text: string, ownIps: Set<string>): SipTraceMessage[] {
  const out: SipTraceMessage[] = [];
  for (const m of text.matchAll(TRACE_RE)) {
    const raw = m[4]!.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '');
    const sep = raw.indexOf('\r\n\r\n');
    const head = sep < 0 ? raw : raw.slice(0, sep);
    const body = sep < 0 ? '' : raw.slice(sep + 4);
    out.push({
      direction: ownIps.has(hostOf(m[2]!)) ? 'sent' : 'received',
      transport: m[1]!,
      from: m[2]!,
      to: m[3]!,
      head,
      body: body === '' ? '' : `${body}\r\n`,
      startLine: head.split('\r\n', 1)[0]!,
    });
  }
  return out;
}

/** The messages of a trace matching a start-line pattern and direction. */
export function traced(trace: SipTraceMessage[], direction: 'sent' | 'received', startLine: RegExp): SipTraceMessage[] {
  return trace.filter((m) => m.direction === direction && startLine.test(m.startLine));
}

// ---- ctrl_tcp ----------------------------------------------------------------------

function netstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

async function connectCtrl(host: string, port: number, timeoutMs: number, dead: () => boolean): Promise<CtrlClient> {
  const deadline = Date.now() + timeoutMs;
  let sock: Socket | undefined;
  while (!sock) {
    if (dead()) throw new Error('process exited');
    try {
      sock = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port }, () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const socket = sock;
  const events: CtrlEvent[] = [];
  const responses: CtrlResponse[] = [];
  const waiters: Array<() => void> = [];
  let buf = Buffer.alloc(0);
  let closed = false;
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      const colon = buf.indexOf(0x3a);
      if (colon < 0) break;
      const len = Number(buf.toString('ascii', 0, colon));
      if (!Number.isInteger(len) || len < 0) {
        socket.destroy(new Error(`bad netstring length ${JSON.stringify(buf.toString('ascii', 0, colon))}`));
        return;
      }
      if (buf.length < colon + 1 + len + 1) break;
      const payload = buf.toString('utf8', colon + 1, colon + 1 + len);
      buf = buf.subarray(colon + 1 + len + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(payload) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (msg.event === true) events.push(msg as unknown as CtrlEvent);
      else if (msg.response === true) responses.push({ ok: msg.ok === true, data: typeof msg.data === 'string' ? msg.data : '' });
    }
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake();
  });
  const until = async <T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = take();
      if (v !== undefined) return v;
      if (closed) throw new Error(`ctrl_tcp closed while waiting for ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  // commands are answered in order: serialize them so each takes its own response
  let queue: Promise<unknown> = Promise.resolve();
  return {
    events,
    command(command, params, timeoutMs = 5000) {
      const run = async () => {
        responses.length = 0;
        socket.write(netstring(JSON.stringify(params === undefined ? { command } : { command, params })));
        return until(() => responses.shift(), timeoutMs, `response to ${command}`);
      };
      const p = queue.then(run, run);
      queue = p.catch(() => {});
      return p;
    },
    waitEvent(pred, timeoutMs) {
      let seen = 0;
      return until(
        () => {
          for (; seen < events.length; seen++) if (pred(events[seen]!)) return events[seen]!;
          return undefined;
        },
        timeoutMs,
        'event',
      );
    },
    close() {
      closed = true;
      socket.destroy();
    },
  };
}
