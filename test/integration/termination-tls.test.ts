// Termination over TLS (issue 3): the softswitch sends a call out; Palisade opens a
// TLS connection to the carrier trunk, verifies the carrier's certificate against the
// configured trust file, and the answer comes back over that connection.
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { makePki, type TestPki } from '../transport/helpers.js';
import { hdr, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

let pki: TestPki;
let sbc: Palisade;
let softswitch: UdpPeer;
const carrierGot: string[] = [];
let carrier: ReturnType<typeof createServer>;
let carrierPort = 0;

beforeAll(async () => {
  pki = makePki();
  carrier = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (sock: TLSSocket) => {
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const msg = buf.slice(0, end + 4);
        buf = buf.slice(end + 4);
        carrierGot.push(msg);
        if (msg.startsWith('INVITE ')) {
          const keep = msg.split('\r\n').filter((l) => /^(Via|From|Call-ID|CSeq):/i.test(l));
          sock.write([
            'SIP/2.0 200 OK', ...keep, `To: ${hdr(msg, 'To')};tag=carrier1`, `Contact: <sip:gw@127.0.0.1:${carrierPort};transport=tls>`, 'Content-Length: 0', '', '',
          ].join('\r\n'));
        }
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => carrier.listen(0, '127.0.0.1', () => r()));
  carrierPort = (carrier.address() as { port: number }).port;
  softswitch = await udpPeer('127.0.0.4');
  const dual = pki.issueDual('sbc', '5001');
  const config = configSchema.parse({
    log: { level: 'silent' },
    http: { enabled: false },
    transport: { tls: { certFile: dual.certFile, keyFile: dual.keyFile, caFile: pki.caFile, trustFile: pki.caFile, watch: false, generateIfMissing: false } },
    realms: {
      external: { listeners: [{ id: 'ext-tls', transport: 'tls', address: '127.0.0.1', port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: '127.0.0.2', port: 0 }] },
    },
    trunks: [{ id: 'carrier', target: `sip:127.0.0.1:${carrierPort};transport=tls`, prefixes: ['+44'] }],
  });
  sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await sbc?.stop();
  softswitch?.close();
  carrier?.close();
  pki?.cleanup();
});

it('a call from the softswitch reaches a TLS trunk and is answered', async () => {
  const int = sbc.transports.listeners().find((l) => l.id === 'int')!.port;
  await softswitch.send(
    [
      'INVITE sip:+442079460000@127.0.0.2 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.4:${softswitch.port};branch=z9hG4bK-tls1`,
      'Max-Forwards: 70',
      'From: <sip:+15550100@127.0.0.4>;tag=ss1',
      'To: <sip:+442079460000@127.0.0.2>',
      'Call-ID: tls-1@10.9.9.9',
      'CSeq: 1 INVITE',
      `Contact: <sip:ss@127.0.0.4:${softswitch.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    int,
    '127.0.0.2',
  );
  const ok = await softswitch.next((t) => t.startsWith('SIP/2.0 200'), 8000);
  expect(hdr(ok.text, 'Call-ID')).toBe('tls-1@10.9.9.9');
  expect(hdr(ok.text, 'To')).toMatch(/;tag=carrier1$/);
  const inv = carrierGot.find((m) => m.startsWith('INVITE '))!;
  expect(inv.split('\r\n', 1)[0]).toBe(`INVITE sip:+442079460000@127.0.0.1:${carrierPort} SIP/2.0`);
  expect(hdr(inv, 'Via')).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;branch=z9hG4bKP/);
  for (const leak of ['127.0.0.4', '127.0.0.2', '10.9.9.9', 'z9hG4bK-tls1']) expect(inv).not.toContain(leak);
});
