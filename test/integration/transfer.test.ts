// Call transfer across the realms (src/proxy/transfer.ts, transferEdits in core.ts): a
// REFER's Refer-To and Referred-By never carry the sender's hosts; a Replaces names the
// dialog by the Call-ID the softswitch knows, or towards a customer by a sealed token
// that comes back in the transferred INVITE. A Replaces that names no dialog Palisade
// relays is refused.
// Scripted UDP peers: the caller on 127.0.0.3, the softswitch on 127.0.0.4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { answer, hdr, startLine, udpPeer, type UdpPeer } from '../helpers/udppeer.js';

let sbc: Palisade;
let caller: UdpPeer;
let softswitch: UdpPeer;
let ext: number;
let int: number;

beforeAll(async () => {
  caller = await udpPeer('127.0.0.3');
  softswitch = await udpPeer('127.0.0.4');
  const config = configSchema.parse({
    trunks: [{ id: 'lab', sources: [{ cidr: '127.0.0.0/8' }] }],
    log: { level: 'silent' },
    http: { enabled: false },
    media: { enabled: false },
    realms: {
      external: { listeners: [{ id: 'ext', transport: 'udp', address: '127.0.0.1', port: 0 }] },
      internal: { listeners: [{ id: 'int', transport: 'udp', address: '127.0.0.2', port: 0 }] },
    },
    softswitches: { targets: [{ id: 'ss', host: '127.0.0.4', port: softswitch.port, transport: 'udp' }], health: { intervalMs: 3_600_000, timeoutMs: 100 } },
  });
  sbc = await startPalisade(config, { logger: createLogger({ level: 'silent' }) });
  ext = sbc.transports.listeners().find((l) => l.id === 'ext')!.port;
  int = sbc.transports.listeners().find((l) => l.id === 'int')!.port;
});

afterAll(async () => {
  await sbc?.stop();
  caller?.close();
  softswitch?.close();
});

function invite(callId: string, tag: string, branch: string, extra: string[] = []): string {
  return [
    'INVITE sip:+15550001@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.3:${caller.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@127.0.0.3>;tag=${tag}`,
    'To: <sip:+15550001@127.0.0.1>',
    `Call-ID: ${callId}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:alice@127.0.0.3:${caller.port}>`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

interface Call {
  /** the Call-ID and INVITE as the softswitch got them */
  internalCallId: string;
  inv: string;
}

/** caller → Palisade → softswitch, answered and acknowledged. */
async function call(callId: string, tag: string): Promise<Call> {
  await caller.send(invite(callId, tag, `z9hG4bK-${tag}`), ext, '127.0.0.1');
  const inv = await softswitch.next((t) => t.startsWith('INVITE ') && hdr(t, 'From')!.endsWith(`tag=${tag}`));
  await softswitch.send(answer(inv.text, '200 OK', [`Contact: <sip:ss@127.0.0.4:${softswitch.port}>`]), inv.from.port, inv.from.address);
  const ok = await caller.next((t) => t.startsWith('SIP/2.0 200') && hdr(t, 'Call-ID') === callId);
  const contact = /<([^>]+)>/.exec(hdr(ok.text, 'Contact')!)![1]!;
  await caller.send(
    [
      `ACK ${contact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.3:${caller.port};branch=z9hG4bK-${tag}-ack;rport`,
      'Max-Forwards: 70',
      `From: <sip:alice@127.0.0.3>;tag=${tag}`,
      `To: ${hdr(ok.text, 'To')}`,
      `Call-ID: ${callId}`,
      'CSeq: 1 ACK',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    ext,
    '127.0.0.1',
  );
  await softswitch.next((t) => t.startsWith('ACK ') && hdr(t, 'From')!.endsWith(`tag=${tag}`));
  return { internalCallId: hdr(inv.text, 'Call-ID')!, inv: inv.text };
}

/** An in-dialog REFER from the softswitch (the callee) on `c`. */
function refer(c: Call, cseq: number, referTo: string, extra: string[] = []): string {
  const target = /<([^>]+)>/.exec(hdr(c.inv, 'Contact')!)![1]!;
  return [
    `REFER ${target} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.4:${softswitch.port};branch=z9hG4bK-refer-${cseq};rport`,
    'Max-Forwards: 70',
    `From: ${hdr(c.inv, 'To')};tag=callee1`,
    `To: ${hdr(c.inv, 'From')}`,
    `Call-ID: ${c.internalCallId}`,
    `CSeq: ${cseq} REFER`,
    `Contact: <sip:ss@127.0.0.4:${softswitch.port}>`,
    `Refer-To: ${referTo}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

describe('call transfer across the realms', () => {
  let a: Call;
  let b: Call;
  beforeAll(async () => {
    a = await call('xfer-a@127.0.0.3', 'ca');
    b = await call('xfer-b@127.0.0.3', 'cb');
    // the softswitch knows each call by its own Call-ID, not the caller's
    expect(a.internalCallId).not.toBe('xfer-a@127.0.0.3');
    expect(b.internalCallId).not.toBe('xfer-b@127.0.0.3');
  }, 15_000);

  let token = '';
  it('REFER from the softswitch: Refer-To and Referred-By name Palisade, Replaces becomes a token, not another call\'s Call-ID', async () => {
    const replaces = encodeURIComponent(`${b.internalCallId};to-tag=callee1;from-tag=cb`);
    await softswitch.send(
      refer(a, 2, `<sip:2000@10.9.9.9:5070;transport=udp;maddr=10.9.9.9;user=phone?Replaces=${replaces}>`, ['Referred-By: "Operator" <sip:op@10.9.9.9:5070>']),
      int,
      '127.0.0.2',
    );
    const got = await caller.next((t) => t.startsWith('REFER '));
    expect(startLine(got.text)).toBe(`REFER sip:alice@127.0.0.3:${caller.port} SIP/2.0`);
    expect(hdr(got.text, 'Call-ID')).toBe('xfer-a@127.0.0.3');
    const referTo = hdr(got.text, 'Refer-To')!;
    const m = new RegExp(`^<sip:2000@127\\.0\\.0\\.1:${ext};user=phone\\?Replaces=(rp-[A-Za-z0-9_-]+)%3Bto-tag%3Dcallee1%3Bfrom-tag%3Dcb>$`).exec(referTo);
    expect(m, referTo).not.toBeNull();
    token = m![1]!;
    expect(hdr(got.text, 'Referred-By')).toBe(`"Operator" <sip:op@127.0.0.1:${ext}>`);
    // nothing of the internal side in the whole message, and not call B's Call-ID on either side
    expect(got.text).not.toMatch(/10\.9\.9\.9|127\.0\.0\.4|127\.0\.0\.2/);
    expect(got.text).not.toContain(b.internalCallId);
    expect(got.text).not.toContain('xfer-b@');
    // the REFER's answer goes back
    await caller.send(answer(got.text, '202 Accepted'), got.from.port, got.from.address);
    const accepted = await softswitch.next((t) => t.startsWith('SIP/2.0 202'));
    expect(hdr(accepted.text, 'CSeq')).toBe('2 REFER');
  });

  it('the referee\'s INVITE with that token in Replaces reaches the softswitch with its own Call-ID for the dialog', async () => {
    expect(token).not.toBe('');
    await caller.send(invite('xfer-e@127.0.0.3', 'ce', 'z9hG4bK-ce', [`Replaces: ${token};to-tag=callee1;from-tag=cb`]), ext, '127.0.0.1');
    const inv = await softswitch.next((t) => t.startsWith('INVITE ') && hdr(t, 'From')!.endsWith('tag=ce'));
    expect(hdr(inv.text, 'Replaces')).toBe(`${b.internalCallId};to-tag=callee1;from-tag=cb`);
    await softswitch.send(answer(inv.text, '486 Busy Here'), inv.from.port, inv.from.address);
    await caller.next((t) => t.startsWith('SIP/2.0 486') && hdr(t, 'Call-ID') === 'xfer-e@127.0.0.3');
  });

  it('REFER from the customer: Refer-To names the softswitch (it routes the target), Replaces the softswitch\'s Call-ID', async () => {
    // the caller (external) refers the softswitch side of call A to extension 201, replacing call B
    const contact = `sip:p@127.0.0.1:${ext}`; // any Request-URI: in-dialog requests are found by Call-ID
    await caller.send(
      [
        `REFER ${contact} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.3:${caller.port};branch=z9hG4bK-cref1;rport`,
        'Max-Forwards: 70',
        'From: <sip:alice@127.0.0.3>;tag=ca',
        'To: <sip:+15550001@127.0.0.1>;tag=callee1',
        'Call-ID: xfer-a@127.0.0.3',
        'CSeq: 5 REFER',
        `Contact: <sip:alice@127.0.0.3:${caller.port}>`,
        `Refer-To: <sip:201@pbx.customer.example;x-site=192.0.2.50?Replaces=${encodeURIComponent('xfer-b@127.0.0.3;to-tag=callee1;from-tag=cb')}>`,
        'Referred-By: <sip:alice@192.0.2.50>',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      ext,
      '127.0.0.1',
    );
    const got = await softswitch.next((t) => t.startsWith('REFER ') && hdr(t, 'CSeq') === '5 REFER');
    expect(hdr(got.text, 'Call-ID')).toBe(a.internalCallId);
    expect(hdr(got.text, 'Refer-To')).toBe(`<sip:201@127.0.0.4:${softswitch.port}?Replaces=${encodeURIComponent(b.internalCallId)}%3Bto-tag%3Dcallee1%3Bfrom-tag%3Dcb>`);
    expect(hdr(got.text, 'Referred-By')).toBe(`<sip:alice@127.0.0.2:${int}>`);
    expect(got.text).not.toMatch(/192\.0\.2\.50|customer\.example|xfer-b@/);
    await softswitch.send(answer(got.text, '202 Accepted'), got.from.port, got.from.address);
    await caller.next((t) => t.startsWith('SIP/2.0 202') && hdr(t, 'CSeq') === '5 REFER');
  });

  it('RFC 3891 §3: a non-INVITE request loses its Replaces instead of being refused', async () => {
    const text = refer(a, 6, '<sip:3000@10.9.9.9>', ['Replaces: nobody@10.9.9.9;to-tag=x;from-tag=y']);
    await softswitch.send(text, int, '127.0.0.2');
    const got = await caller.next((t) => t.startsWith('REFER ') && hdr(t, 'CSeq') === '6 REFER');
    expect(hdr(got.text, 'Replaces')).toBeUndefined();
    expect(got.text).not.toContain('nobody@');
    await caller.send(answer(got.text, '202 Accepted'), got.from.port, got.from.address);
    await softswitch.next((t) => t.startsWith('SIP/2.0 202') && hdr(t, 'CSeq') === '6 REFER');
  });

  it('a REFER whose Replaces names no dialog Palisade relays is refused with 400, and not relayed', async () => {
    const before = caller.received.length;
    await softswitch.send(refer(a, 3, `<sip:2000@10.9.9.9?Replaces=${encodeURIComponent('nobody@10.9.9.9;to-tag=x;from-tag=y')}>`), int, '127.0.0.2');
    const r = await softswitch.next((t) => t.startsWith('SIP/2.0 ') && hdr(t, 'CSeq') === '3 REFER');
    expect(startLine(r.text)).toBe('SIP/2.0 400 Refer-To Replaces names no dialog known here');
    await new Promise((res) => setTimeout(res, 100));
    expect(caller.received.slice(before).filter((m) => m.text.startsWith('REFER '))).toHaveLength(0);
  });

  it('a Refer-To in compact form (r:) is rewritten the same way', async () => {
    const text = refer(a, 4, '<sip:3000@10.9.9.9:5070>').replace(/^Refer-To:/m, 'r:');
    await softswitch.send(text, int, '127.0.0.2');
    const got = await caller.next((t) => t.startsWith('REFER ') && hdr(t, 'CSeq') === '4 REFER');
    expect(hdr(got.text, 'Refer-To') ?? hdr(got.text, 'r')).toBe(`<sip:3000@127.0.0.1:${ext}>`);
    expect(got.text).not.toContain('10.9.9.9');
    await caller.send(answer(got.text, '202 Accepted'), got.from.port, got.from.address);
    await softswitch.next((t) => t.startsWith('SIP/2.0 202') && hdr(t, 'CSeq') === '4 REFER');
  });

  it('INVITE with Replaces from the caller (attended transfer): the softswitch gets its own Call-ID for the dialog', async () => {
    await caller.send(invite('xfer-c@127.0.0.3', 'cc', 'z9hG4bK-cc', ['Replaces: xfer-b@127.0.0.3;to-tag=callee1;from-tag=cb', 'Referred-By: <sip:bob@192.0.2.7>']), ext, '127.0.0.1');
    const inv = await softswitch.next((t) => t.startsWith('INVITE ') && hdr(t, 'From')!.endsWith('tag=cc'));
    expect(hdr(inv.text, 'Replaces')).toBe(`${b.internalCallId};to-tag=callee1;from-tag=cb`);
    expect(hdr(inv.text, 'Referred-By')).toBe(`<sip:bob@127.0.0.2:${int}>`);
    expect(inv.text).not.toMatch(/xfer-b@|192\.0\.2\.7|127\.0\.0\.3/);
    await softswitch.send(answer(inv.text, '486 Busy Here'), inv.from.port, inv.from.address);
    await caller.next((t) => t.startsWith('SIP/2.0 486'));
  });

  it('INVITE with a Replaces that names no dialog here gets 481 and never reaches the softswitch', async () => {
    const before = softswitch.received.length;
    await caller.send(invite('xfer-d@127.0.0.3', 'cd', 'z9hG4bK-cd', ['Replaces: unknown@127.0.0.3;to-tag=a;from-tag=b']), ext, '127.0.0.1');
    const r = await caller.next((t) => t.startsWith('SIP/2.0 481') && hdr(t, 'Call-ID') === 'xfer-d@127.0.0.3');
    expect(hdr(r.text, 'CSeq')).toBe('1 INVITE');
    await new Promise((res) => setTimeout(res, 100));
    expect(softswitch.received.slice(before).filter((m) => m.text.startsWith('INVITE '))).toHaveLength(0);
  });
});
