// SIP messages and SDP bodies for the media layer's unit tests.
import { generateCrypto } from '../../../src/media/srtp/index.js';
import type { RealmName } from '../../../src/config/schema.js';
import { parseMessage, type SipMessage } from '../../../src/sip/index.js';
import type { MediaContext } from '../../../src/proxy/media-hooks.js';

export const CALLER = '198.51.100.10';
export const SOFTSWITCH = '10.1.1.4';

export interface SdpOpts {
  addr: string;
  port: number;
  proto?: string;
  crypto?: string[];
  dir?: string;
  version?: number;
  video?: number;
  mux?: boolean;
  ice?: boolean;
  extra?: string[];
}

export function sdp(o: SdpOpts): string {
  const lines = [
    'v=0',
    `o=alice 2890844526 ${o.version ?? 1} IN IP4 ${o.addr}`,
    `s=call from ${o.addr}`,
    `c=IN IP4 ${o.addr}`,
    't=0 0',
    ...(o.ice ? ['a=ice-ufrag:F7gI', 'a=ice-pwd:x9cml/YzichV2+XlhiMu8g'] : []),
    `m=audio ${o.port} ${o.proto ?? 'RTP/AVP'} 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    `a=rtcp:${o.port + 1} IN IP4 ${o.addr}`,
    ...(o.mux ? ['a=rtcp-mux'] : []),
    ...(o.crypto ?? []).map((c) => (c.startsWith('a=') ? c : `a=crypto:${c}`)),
    ...(o.ice ? [`a=candidate:1 1 UDP 2130706431 ${o.addr} ${o.port} typ host`, `a=candidate:2 1 UDP 1694498815 192.0.2.99 ${o.port} typ srflx raddr ${o.addr} rport ${o.port}`] : []),
    `a=ssrc:1234 cname:user@${o.addr}`,
    ...(o.dir ? [`a=${o.dir}`] : []),
    ...(o.extra ?? []),
  ];
  if (o.video !== undefined) lines.push(`m=video ${o.video} RTP/AVP 96`, 'a=rtpmap:96 H264/90000');
  return lines.join('\r\n') + '\r\n';
}

export function cryptoLine(tag = 1, suite: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM' = 'AES_CM_128_HMAC_SHA1_80'): string {
  return generateCrypto(tag, suite).line;
}

function parse(text: string): SipMessage {
  const r = parseMessage(Buffer.from(text, 'latin1'));
  if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
  return r.message;
}

function headers(cseq: number, method: string, body: string | undefined, contentType: string): string[] {
  return [
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtest',
    'From: <sip:a@example.com>;tag=1',
    'To: <sip:b@example.com>',
    'Call-ID: c1@example.com',
    `CSeq: ${cseq} ${method}`,
    ...(body !== undefined ? [`Content-Type: ${contentType}`] : []),
    `Content-Length: ${Buffer.byteLength(body ?? '', 'latin1')}`,
  ];
}

export function request(method: string, cseq: number, body?: string, contentType = 'application/sdp'): SipMessage {
  return parse([`${method} sip:b@example.com SIP/2.0`, ...headers(cseq, method, body, contentType), '', body ?? ''].join('\r\n'));
}

export function response(status: number, method: string, cseq: number, body?: string, contentType = 'application/sdp'): SipMessage {
  return parse([`SIP/2.0 ${status} X`, ...headers(cseq, method, body, contentType), '', body ?? ''].join('\r\n'));
}

export function ctx(key: string, from: RealmName, msg: SipMessage, trunk?: string): MediaContext {
  const status = msg.status;
  return { key, from, to: from === 'external' ? 'internal' : 'external', msg, method: msg.cseq().method, status, trunk };
}

export const bodyOf = (m: SipMessage): string => m.body.toString('latin1');

/** The m= line, c= address and crypto lines of the first audio stream. */
export function audio(body: string): { port: number; proto: string; crypto: string[]; c: string[]; version: string } {
  const m = /^m=audio (\d+) (\S+)/m.exec(body);
  return {
    port: m ? Number(m[1]) : -1,
    proto: m ? m[2]! : '',
    crypto: body.split(/\r?\n/).filter((l) => l.startsWith('a=crypto:')),
    c: [...body.matchAll(/^c=IN IP[46] (\S+)/gm)].map((x) => x[1]!),
    version: /^o=\S+ \S+ (\d+)/m.exec(body)?.[1] ?? '',
  };
}
