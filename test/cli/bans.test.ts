// `palisade bans` against a running instance: list, add, remove through the admin
// endpoint, and a ban that really drops the banned address's packets (issue 4:
// "listing and lifting bans is possible").
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli.js';
import { loadConfig } from '../../src/config/index.js';
import { startPalisade, type Palisade } from '../../src/main.js';
import { createLogger } from '../../src/observability/logger.js';
import { freePort } from '../helpers/ports.js';
import { udpPeer } from '../helpers/udppeer.js';

let sbc: Palisade;
let file = '';
const TOKEN = 'test-admin-token-0123456789';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: {} });
  return { code, out, err };
}

beforeAll(async () => {
  const httpPort = await freePort();
  file = join(mkdtempSync(join(tmpdir(), 'palisade-bans-')), 'palisade.yaml');
  writeFileSync(
    file,
    [
      'log: { level: silent }',
      `http: { port: ${httpPort}, adminToken: ${TOKEN} }`,
      'realms:',
      '  external:',
      '    listeners: [{ id: ext, transport: udp, address: 127.0.0.1, port: 0 }]',
      'trunks: [{ id: lab, sources: [{ cidr: 127.0.0.0/8 }] }]',
      '',
    ].join('\n'),
  );
  const loaded = loadConfig({ file, env: {} });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  sbc = await startPalisade(loaded.config, { logger: createLogger({ level: 'silent' }) });
});

afterAll(async () => {
  await sbc?.stop();
});

async function ping(from: string): Promise<boolean> {
  const peer = await udpPeer(from);
  const port = sbc.transports.listeners()[0]!.port;
  await peer.send(
    [
      'OPTIONS sip:127.0.0.1 SIP/2.0',
      `Via: SIP/2.0/UDP ${from}:${peer.port};branch=z9hG4bK-${Math.random().toString(36).slice(2)};rport`,
      'Max-Forwards: 70',
      'From: <sip:mon@example.com>;tag=1',
      'To: <sip:127.0.0.1>',
      `Call-ID: ${Math.random()}@t`,
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
    port,
    '127.0.0.1',
  );
  try {
    await peer.next((t) => t.startsWith('SIP/2.0 200'), 500);
    return true;
  } catch {
    return false;
  } finally {
    peer.close();
  }
}

describe('palisade bans (CLI → admin endpoint)', () => {
  it('add, list, enforce, remove', async () => {
    expect(await ping('127.0.0.77')).toBe(true);
    const add = await cli(['bans', 'add', '127.0.0.77', '--reason', 'abuse', '--ttl', '600', '--config', file]);
    expect(add).toMatchObject({ code: 0, out: 'banned 127.0.0.77\n' });
    const list = await cli(['bans', 'list', '--config', file]);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^127\.0\.0\.77\tabuse\tuntil \d{4}-/m);
    expect(await ping('127.0.0.77')).toBe(false); // dropped before parsing
    expect(await ping('127.0.0.78')).toBe(true); // a neighbour is not affected
    const rm = await cli(['bans', 'remove', '127.0.0.77', '--config', file]);
    expect(rm).toMatchObject({ code: 0, out: 'lifted 127.0.0.77\n' });
    expect(await ping('127.0.0.77')).toBe(true);
    const again = await cli(['bans', 'remove', '127.0.0.77', '--config', file]);
    expect(again.code).toBe(1);
  });
  it('refuses a bad address and requests without the admin token', async () => {
    const bad = await cli(['bans', 'add', 'not-an-ip', '--config', file]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/400/);
    const port = sbc.http!.port;
    expect((await fetch(`http://127.0.0.1:${port}/admin/bans`)).status).toBe(403);
    expect((await fetch(`http://127.0.0.1:${port}/admin/bans`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(403);
  });
  it('usage errors exit 2', async () => {
    expect((await cli(['bans'])).code).toBe(2);
    expect((await cli(['bans', 'frobnicate'])).code).toBe(2);
  });
});
