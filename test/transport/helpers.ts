// Test-only helpers: a throwaway PKI (node-forge signs; node:crypto makes the keys,
// which is much faster than forge's pure-JS RSA), configs, a manager harness.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { configSchema, type PalisadeConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics, type Metrics } from '../../src/observability/metrics.js';
import { createTransportManager, type TransportManager, type TransportDeps } from '../../src/transport/index.js';
import type { InboundMessage } from '../../src/transport/types.js';

const { pki } = forge;

export interface Issued {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly serial: string; // hex, upper case as node reports it
}

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly server: Issued;
  readonly client: Issued;
  /** A client certificate from a CA the server does not trust. */
  readonly rogueClient: Issued;
  /** Issues another server certificate (for reload tests) into `name`.crt/.key. */
  issueServer(name: string, serial: string): Issued;
  /** A certificate good for both ends (serverAuth + clientAuth), as an SBC's own is for mutual TLS to trunks. */
  issueDual(name: string, serial: string): Issued;
  /** A server certificate for localhost/127.0.0.1 from a CA nobody trusts. */
  issueRogueServer(name: string, serial: string): Issued;
  cleanup(): void;
}

interface Ca {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function newKey(): { key: forge.pki.rsa.PrivateKey; pub: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { key, pub: pki.rsa.setPublicKey(key.n, key.e), pem };
}

function makeCert(subjectCn: string, serial: string, pub: forge.pki.rsa.PublicKey, issuer: Ca | null, signKey: forge.pki.rsa.PrivateKey, ext: object[]): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = pub;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subjectCn }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: subjectCn }]);
  cert.setExtensions(ext);
  cert.sign(signKey, forge.md.sha256.create());
  return cert;
}

function makeCa(cn: string): Ca {
  const k = newKey();
  const cert = makeCert(cn, '01', k.pub, null, k.key, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  return { cert, key: k.key };
}

function issue(dir: string, name: string, ca: Ca, serial: string, kind: 'server' | 'client' | 'dual'): Issued {
  const k = newKey();
  const ext =
    kind === 'client'
      ? [{ name: 'extKeyUsage', clientAuth: true }]
      : [
          { name: 'extKeyUsage', serverAuth: true, clientAuth: kind === 'dual' },
          { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
        ];
  const cert = makeCert(`${name}.test`, serial, k.pub, ca, ca.key, ext);
  const certPem = pki.certificateToPem(cert);
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, certPem);
  writeFileSync(keyFile, k.pem);
  return { certFile, keyFile, certPem, keyPem: k.pem, serial: serial.toUpperCase() };
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-transport-'));
  const ca = makeCa('Palisade Test CA');
  const rogueCa = makeCa('Rogue CA');
  const caFile = join(dir, 'ca.crt');
  writeFileSync(caFile, pki.certificateToPem(ca.cert));
  return {
    dir,
    caFile,
    server: issue(dir, 'server', ca, '1001', 'server'),
    client: issue(dir, 'client', ca, '2001', 'client'),
    rogueClient: issue(dir, 'rogue', rogueCa, '3001', 'client'),
    issueServer: (name, serial) => issue(dir, name, ca, serial, 'server'),
    issueDual: (name, serial) => issue(dir, name, ca, serial, 'dual'),
    issueRogueServer: (name, serial) => issue(dir, name, rogueCa, serial, 'server'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A parsed config with a silent log; `raw` is merged over the base. */
export function testConfig(raw: Record<string, unknown>): PalisadeConfig {
  return configSchema.parse({ log: { level: 'silent' }, ...raw });
}

export interface Harness {
  readonly mgr: TransportManager;
  readonly metrics: Metrics;
  readonly messages: InboundMessage[];
  /** Resolves with the n-th message (1-based) once it has arrived. */
  nextMessage(timeoutMs?: number): Promise<InboundMessage>;
  listener(id: string): { address: string; port: number };
}

export async function startHarness(cfg: PalisadeConfig, extra: Partial<TransportDeps> = {}): Promise<Harness> {
  const metrics = createMetrics({ version: 'test', defaultMetrics: false });
  const messages: InboundMessage[] = [];
  const waiters: ((m: InboundMessage) => void)[] = [];
  let taken = 0;
  const mgr = createTransportManager(cfg, {
    logger: createLogger({ level: 'silent' }),
    metrics,
    onMessage: (m) => {
      messages.push(m);
      const w = waiters.shift();
      if (w) {
        taken++;
        w(m);
      }
    },
    tlsWatch: { intervalMs: 50, debounceMs: 50 },
    ...extra,
  });
  await mgr.start();
  return {
    mgr,
    metrics,
    messages,
    nextMessage(timeoutMs = 3000) {
      if (taken < messages.length) return Promise.resolve(messages[taken++] as InboundMessage);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no message within timeout')), timeoutMs);
        waiters.push((m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
    },
    listener(id) {
      const l = mgr.listeners().find((x) => x.id === id);
      if (!l) throw new Error(`no listener ${id}`);
      return { address: l.address, port: l.port };
    },
  };
}

export async function dropCount(metrics: Metrics, transport: string, reason: string): Promise<number> {
  const v = (await metrics.transportDrops.get()).values.find((x) => x.labels.transport === transport && x.labels.reason === reason);
  return v?.value ?? 0;
}

export async function gauge(metrics: Metrics, transport: string): Promise<number> {
  const v = (await metrics.transportConnections.get()).values.find((x) => x.labels.transport === transport);
  return v?.value ?? 0;
}

export async function reloads(metrics: Metrics, result: 'ok' | 'error'): Promise<number> {
  const v = (await metrics.tlsReloads.get()).values.find((x) => x.labels.result === result);
  return v?.value ?? 0;
}

/** Polls `check` until it is true or the time is up (tests stay bounded). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A SIP-ish message with a correct Content-Length (framing does not care about the rest). */
export function sipMessage(body = '', extra = '', lengthHeader = 'Content-Length'): string {
  return (
    `OPTIONS sip:sbc.test SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bK${Math.random().toString(36).slice(2)}\r\n` +
    `Call-ID: x\r\nCSeq: 1 OPTIONS\r\n${extra}${lengthHeader}: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
