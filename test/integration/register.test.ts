// Registration through Palisade (issue 3): the registrar stores a contact that points
// at Palisade and seals the client's flow; a later INVITE from the softswitch to that
// contact reaches the client over the flow its REGISTER came on, and neither side
// sees the other's addresses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

let sbc: Palisade;
let phone: UdpPeer;
let softswitch: UdpPeer;
let ext = 0;
let int = 0;

beforeAll(async () => {
  phone = await udpPeer('127.0.0.3');
  softswitch = await udpPeer('127.0.0.4');
  const config = configSchema.parse({
    // the test peers are a trunk identified by source address (the security pipeline
    // challenges everyone else)
    trunks: [{ id: 'lab', sources: [{ cidr: '127.0.0.0/8' }, { cidr: '::1/128' }] }],
    log: { level: 'silent' },
    http: { enabled: false },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: '127.0.0.1', port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: '127.0.0.2', port: 0 }] },
    },
    softswitches: { targets: [{ id: 'ss', host: '127.0.0.4', port: softswitch.port, transport: 'udp' }], health: { intervalMs: 3_600_000 } },
  });
  sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
  ext = sbc.transports.listeners().find((l) => l.id === 'ext')!.port;
  int = sbc.transports.listeners().find((l) => l.id === 'int')!.port;
});

afterAll(async () => {
  await sbc?.stop();
  phone?.close();
  softswitch?.close();
});

describe('REGISTER relayed with contact sealing (RFC 3261 §10, issue 3 registration)', () => {
  let sealedContact = '';

  it('the registrar sees only Palisade, and the phone gets its own contact back', async () => {
    const reg = [
      'REGISTER sip:example.com SIP/2.0',
      `Via: SIP/2.0/UDP 127.0.0.3:${phone.port};branch=z9hG4bK-reg1;rport`,
      'Max-Forwards: 70',
      'From: <sip:alice@example.com>;tag=ph1',
      'To: <sip:alice@example.com>',
      'Call-ID: reg-call-1@127.0.0.3',
      'CSeq: 1 REGISTER',
      `Contact: <sip:alice@127.0.0.3:${phone.port}>;expires=600`,
      'User-Agent: TestPhone/1.0',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await phone.send(reg, ext, '127.0.0.1');
    const atRegistrar = await softswitch.next((t) => t.startsWith('REGISTER '));
    expect(atRegistrar.text).not.toContain('127.0.0.3');
    expect(atRegistrar.text).not.toContain(String(phone.port));
    expect(atRegistrar.text).not.toContain('reg-call-1');
    expect(atRegistrar.text).not.toContain('TestPhone');
    expect(atRegistrar.from.address).toBe('127.0.0.2');
    const contact = hdr(atRegistrar.text, 'Contact')!;
    expect(contact).toMatch(/^<sip:r-[A-Za-z0-9_-]+@127\.0\.0\.2:\d+>;expires=600$/);
    sealedContact = /<([^>]+)>/.exec(contact)![1]!;

    // the registrar answers 200 listing the binding it stored
    const via = hdr(atRegistrar.text, 'Via')!;
    const ok = [
      'SIP/2.0 200 OK',
      `Via: ${via}`,
      `From: ${hdr(atRegistrar.text, 'From')}`,
      `To: ${hdr(atRegistrar.text, 'To')};tag=reg99`,
      `Call-ID: ${hdr(atRegistrar.text, 'Call-ID')}`,
      'CSeq: 1 REGISTER',
      `Contact: <${sealedContact}>;expires=600`,
      'Server: InternalSwitch 9.9 (10.1.2.3)',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await softswitch.send(ok, atRegistrar.from.port, atRegistrar.from.address);
    const atPhone = await phone.next((t) => t.startsWith('SIP/2.0 200'));
    expect(hdr(atPhone.text, 'Contact')).toBe(`<sip:alice@127.0.0.3:${phone.port}>;expires=600`);
    // RFC 3581: the phone's own Via comes back with rport and received filled in
    expect(hdr(atPhone.text, 'Via')).toBe(`SIP/2.0/UDP 127.0.0.3:${phone.port};branch=z9hG4bK-reg1;rport=${phone.port};received=127.0.0.3`);
    expect(hdr(atPhone.text, 'Call-ID')).toBe('reg-call-1@127.0.0.3');
    expect(atPhone.text).not.toContain('127.0.0.4');
    expect(atPhone.text).not.toContain('127.0.0.2');
    expect(atPhone.text).not.toContain('InternalSwitch');
  });

  it('an INVITE from the softswitch to the stored contact reaches the phone over its flow', async () => {
    expect(sealedContact).not.toBe('');
    const inv = [
      `INVITE ${sealedContact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.4:${softswitch.port};branch=z9hG4bK-inv1`,
      'Max-Forwards: 70',
      `From: <sip:bob@127.0.0.4>;tag=ss1`,
      'To: <sip:alice@example.com>',
      'Call-ID: inv-1@10.1.2.3',
      'CSeq: 7 INVITE',
      `Contact: <sip:bob@127.0.0.4:${softswitch.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await softswitch.send(inv, int, '127.0.0.2');
    const trying = await softswitch.next((t) => t.startsWith('SIP/2.0 100'));
    expect(hdr(trying.text, 'Via')).toContain('branch=z9hG4bK-inv1');
    const atPhone = await phone.next((t) => t.startsWith('INVITE '));
    expect(startLine(atPhone.text)).toBe(`INVITE sip:alice@127.0.0.3:${phone.port} SIP/2.0`);
    expect(atPhone.from.address).toBe('127.0.0.1');
    for (const leak of ['127.0.0.4', '127.0.0.2', '10.1.2.3', 'inv-1', 'z9hG4bK-inv1']) expect(atPhone.text).not.toContain(leak);

    const ok = [
      'SIP/2.0 200 OK',
      `Via: ${hdr(atPhone.text, 'Via')}`,
      `From: ${hdr(atPhone.text, 'From')}`,
      `To: ${hdr(atPhone.text, 'To')};tag=ph2`,
      `Call-ID: ${hdr(atPhone.text, 'Call-ID')}`,
      `CSeq: ${hdr(atPhone.text, 'CSeq')}`,
      `Contact: <sip:alice@127.0.0.3:${phone.port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await phone.send(ok, atPhone.from.port, atPhone.from.address);
    const answered = await softswitch.next((t) => t.startsWith('SIP/2.0 200'));
    expect(hdr(answered.text, 'Call-ID')).toBe('inv-1@10.1.2.3');
    expect(hdr(answered.text, 'CSeq')).toBe('7 INVITE');
    expect(hdr(answered.text, 'Via')).toMatch(/branch=z9hG4bK-inv1/);
    expect(hdr(answered.text, 'Contact')).toMatch(/^<sip:[0-9a-f]+@127\.0\.0\.2:\d+>$/);
    expect(answered.text).not.toContain('127.0.0.3');
    expect(sbc.core.sizes().dialogs).toBe(1);

    // BYE from the phone ends the dialog on both sides
    const bye = [
      `BYE ${/<([^>]+)>/.exec(hdr(atPhone.text, 'Contact')!)![1]} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.3:${phone.port};branch=z9hG4bK-bye1;rport`,
      'Max-Forwards: 70',
      `From: ${hdr(atPhone.text, 'To')};tag=ph2`,
      `To: ${hdr(atPhone.text, 'From')}`,
      `Call-ID: ${hdr(atPhone.text, 'Call-ID')}`,
      'CSeq: 1 BYE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await phone.send(bye, ext, '127.0.0.1');
    const byeAtSs = await softswitch.next((t) => t.startsWith('BYE '));
    expect(startLine(byeAtSs.text)).toBe(`BYE sip:bob@127.0.0.4:${softswitch.port} SIP/2.0`);
    expect(hdr(byeAtSs.text, 'Call-ID')).toBe('inv-1@10.1.2.3');
    expect(hdr(byeAtSs.text, 'From')).toBe('<sip:alice@example.com>;tag=ph2');
    expect(hdr(byeAtSs.text, 'To')).toBe('<sip:bob@127.0.0.4>;tag=ss1');
    expect(sbc.core.sizes().dialogs).toBe(0);
  });

  it('a forged registration token is refused and counted', async () => {
    const forged = sealedContact.replace(/r-([A-Za-z0-9_-]{10})/, 'r-AAAAAAAAAA');
    const inv = [
      `INVITE ${forged} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.4:${softswitch.port};branch=z9hG4bK-inv2`,
      'Max-Forwards: 70',
      'From: <sip:bob@127.0.0.4>;tag=ss2',
      'To: <sip:alice@example.com>',
      'Call-ID: inv-2@10.1.2.3',
      'CSeq: 1 INVITE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    await softswitch.send(inv, int, '127.0.0.2');
    const refused = await softswitch.next((t) => /^SIP\/2\.0 [4-6]\d\d/.test(t));
    expect(startLine(refused.text)).toMatch(/^SIP\/2\.0 404 /);
    const metrics = await sbc.metrics.registry.getSingleMetricAsString('palisade_proxy_drops_total');
    expect(metrics).toMatch(/reason="bad_token"\} [1-9]/);
  });
});
