// A dialog that sees no in-dialog traffic past proxy.dialogIdleMs is ended by
// Palisade with a BYE to each side (issue 3: "torn down with BYE both ways"), and the
// tables are empty afterwards.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { answer, hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

let sbc: Palisade;
let caller: UdpPeer;
let softswitch: UdpPeer;

beforeAll(async () => {
  caller = await udpPeer('127.0.0.3');
  softswitch = await udpPeer('127.0.0.4');
  const config = configSchema.parse({
    // the test peers are a trunk identified by source address (the security pipeline
    // challenges everyone else)
    trunks: [{ id: 'lab', sources: [{ cidr: '127.0.0.0/8' }, { cidr: '::1/128' }] }],
    log: { level: 'silent' },
    http: { enabled: false },
    proxy: { dialogIdleMs: 600, timers: { t1Ms: 50, t2Ms: 400, t4Ms: 500 } },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: '127.0.0.1', port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: '127.0.0.2', port: 0 }] },
    },
    softswitches: { targets: [{ id: 'ss', host: '127.0.0.4', port: softswitch.port, transport: 'udp' }], health: { intervalMs: 3_600_000, timeoutMs: 100 } },
  });
  sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await sbc?.stop();
  caller?.close();
  softswitch?.close();
});

it('an idle dialog gets a BYE on both sides, then every table is empty', async () => {
  const ext = sbc.transports.listeners().find((l) => l.id === 'ext')!.port;
  await caller.send(
    [
      'INVITE sip:+15550001@127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.3:${caller.port};branch=z9hG4bK-idle1;rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.3>;tag=c1',
      'To: <sip:+15550001@127.0.0.1>',
      'Call-ID: idle-1@127.0.0.3',
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.3:${caller.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    ext,
    '127.0.0.1',
  );
  const inv = await softswitch.next((t) => t.startsWith('INVITE '));
  await softswitch.send(answer(inv.text, '200 OK', [`Contact: <sip:ss@127.0.0.4:${softswitch.port}>`]), inv.from.port, inv.from.address);
  const ok = await caller.next((t) => t.startsWith('SIP/2.0 200'));
  const contact = /<([^>]+)>/.exec(hdr(ok.text, 'Contact')!)![1]!;
  await caller.send(
    [
      `ACK ${contact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.3:${caller.port};branch=z9hG4bK-idle1ack;rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@127.0.0.3>;tag=c1',
      `To: ${hdr(ok.text, 'To')}`,
      'Call-ID: idle-1@127.0.0.3',
      'CSeq: 1 ACK',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    ext,
    '127.0.0.1',
  );
  await softswitch.next((t) => t.startsWith('ACK '));
  expect(sbc.core.sizes().dialogs).toBe(1);

  // nothing more is sent: within the idle limit plus a sweep, both sides get a BYE
  const byeCaller = await caller.next((t) => t.startsWith('BYE '), 5000);
  const byeSs = await softswitch.next((t) => t.startsWith('BYE '), 5000);
  expect(startLine(byeCaller.text)).toBe(`BYE sip:alice@127.0.0.3:${caller.port} SIP/2.0`);
  expect(hdr(byeCaller.text, 'Call-ID')).toBe('idle-1@127.0.0.3');
  expect(hdr(byeCaller.text, 'To')).toBe('<sip:alice@127.0.0.3>;tag=c1');
  expect(hdr(byeCaller.text, 'From')).toMatch(/;tag=callee1$/);
  expect(startLine(byeSs.text)).toBe(`BYE sip:ss@127.0.0.4:${softswitch.port} SIP/2.0`);
  expect(hdr(byeSs.text, 'CSeq')).toBe('2 BYE');
  expect(hdr(byeSs.text, 'From')).toMatch(/;tag=c1$/);
  expect(byeCaller.text).not.toContain('127.0.0.4');
  expect(byeSs.text).not.toContain('127.0.0.3');
  await caller.send(answer(byeCaller.text, '200 OK'), byeCaller.from.port, byeCaller.from.address);
  await softswitch.send(answer(byeSs.text, '200 OK'), byeSs.from.port, byeSs.from.address);
  expect(sbc.core.sizes().dialogs).toBe(0);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (sbc.core.sizes().serverTransactions > 0 || sbc.core.sizes().clientTransactions > 0)) {
    await new Promise((r) => setTimeout(r, 100));
  }
  // the INVITE server transaction lingers Timer L (64*T1) and the BYEs Timer K (T4), then go
  expect(sbc.core.sizes()).toMatchObject({ serverTransactions: 0, clientTransactions: 0, dialogs: 0 });
}, 20_000);
