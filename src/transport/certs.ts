// Self-signed certificates for a first start and for `palisade gen-certs`: a CA and
// a server certificate it signs, with the SANs SIP peers check. Keys come from
// node:crypto (native, fast) and node-forge builds the X.509 (node:crypto cannot
// issue certificates). Key material is written to 0600 files and never logged.
import { generateKeyPair, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { PalisadeConfig } from '../config/schema.js';

export interface GenerateOptions {
  /** DNS names for subjectAltName; the first is also the subject CN. */
  readonly hosts: readonly string[];
  /** IPv4/IPv6 literals for subjectAltName. */
  readonly ips: readonly string[];
  readonly dir: string;
  /** Validity of both certificates, in days (default 825, the longest browsers accept for a leaf). */
  readonly days?: number;
  readonly keyBits?: number;
  /** Name in the CA's subject. */
  readonly caName?: string;
}

export interface CertificateSet {
  readonly caCertPem: string;
  readonly caKeyPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface WrittenFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
}

/** The slice of a pino logger we use, so callers may pass any compatible logger. */
export interface CertLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type EnsureResult =
  | { readonly status: 'present' }
  | { readonly status: 'generated'; readonly files: WrittenFiles }
  | { readonly status: 'disabled' }
  /** Only one of cert and key exists: we never overwrite a key that may be the real one. */
  | { readonly status: 'partial'; readonly missing: string };

const generateKeyPairAsync = promisify(generateKeyPair);
const DAY_MS = 86_400_000;

async function rsaKey(bits: number): Promise<{ pem: string; forgeKey: forge.pki.rsa.PrivateKey }> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { pem: privateKey, forgeKey: forge.pki.privateKeyFromPem(privateKey) };
}

/** 16 random bytes with the top bit clear: a positive serial number, unique in practice (RFC 5280 §4.1.2.2). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] as number) & 0x7f;
  return b.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  // Backdated a little so a peer whose clock runs slightly behind accepts it at once.
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 5 * 60_000);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
}

function publicKeyOf(key: forge.pki.rsa.PrivateKey): forge.pki.rsa.PublicKey {
  return forge.pki.setRsaPublicKey(key.n, key.e);
}

/** Builds the CA and server certificate in memory. */
export async function createCertificateSet(opts: Omit<GenerateOptions, 'dir'>): Promise<CertificateSet> {
  const days = opts.days ?? 825;
  const bits = opts.keyBits ?? 2048;
  if (!Number.isInteger(days) || days < 1) throw new Error(`days must be a positive integer, got ${days}`);
  for (const ip of opts.ips) if (isIP(ip) === 0) throw new Error(`not an IP address: ${ip}`);
  if (opts.hosts.length === 0 && opts.ips.length === 0) throw new Error('at least one host name or IP address is needed');
  const [ca, server] = await Promise.all([rsaKey(bits), rsaKey(bits)]);

  const caCert = forge.pki.createCertificate();
  caCert.publicKey = publicKeyOf(ca.forgeKey);
  caCert.serialNumber = serial();
  validity(caCert, days);
  const caSubject = [{ name: 'commonName', value: opts.caName ?? 'Palisade self-signed CA' }, { name: 'organizationName', value: 'Palisade' }];
  caCert.setSubject(caSubject);
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  caCert.sign(ca.forgeKey, forge.md.sha256.create());

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKeyOf(server.forgeKey);
  cert.serialNumber = serial();
  validity(cert, days);
  cert.setSubject([{ name: 'commonName', value: opts.hosts[0] ?? opts.ips[0] ?? 'palisade' }, { name: 'organizationName', value: 'Palisade' }]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [...opts.hosts.map((h) => ({ type: 2, value: h })), ...opts.ips.map((ip) => ({ type: 7, ip }))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    // clientAuth too: an SBC is also the TLS client towards trunks that require mutual TLS.
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(ca.forgeKey, forge.md.sha256.create());

  return { caCertPem: forge.pki.certificateToPem(caCert), caKeyPem: ca.pem, certPem: forge.pki.certificateToPem(cert), keyPem: server.pem };
}

/**
 * Writes through a temporary file and a rename, so a reader (the TLS watcher) never
 * sees half a file and a key is 0600 from its first byte.
 */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, data, { mode, flag: 'wx' });
  await chmod(tmp, mode); // the umask may have narrowed the mode; never widens it beyond `mode`
  await rename(tmp, path);
}

async function writeSet(set: CertificateSet, files: WrittenFiles): Promise<void> {
  await writeAtomic(files.caKey, set.caKeyPem, 0o600);
  await writeAtomic(files.caCert, set.caCertPem, 0o644);
  await writeAtomic(files.key, set.keyPem, 0o600);
  await writeAtomic(files.cert, set.certPem, 0o644);
}

/** Writes ca.crt, ca.key, server.crt and server.key into `dir`. */
export async function generateCertificates(opts: GenerateOptions): Promise<WrittenFiles> {
  const set = await createCertificateSet(opts);
  const dir = resolve(opts.dir);
  const files: WrittenFiles = { caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') };
  await writeSet(set, files);
  return files;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** The names and addresses a generated certificate should cover for this config. */
export function subjectNamesFor(cfg: PalisadeConfig): { hosts: string[]; ips: string[] } {
  const hosts = new Set<string>(['localhost']);
  const ips = new Set<string>(['127.0.0.1', '::1']);
  const add = (v: string | undefined): void => {
    if (v === undefined || WILDCARD.has(v)) return;
    if (isIP(v) !== 0) ips.add(v);
    else hosts.add(v.toLowerCase());
  };
  if (isIP(cfg.node.name) === 0 && /^[A-Za-z0-9.-]+$/.test(cfg.node.name)) hosts.add(cfg.node.name.toLowerCase());
  for (const realm of [cfg.realms.external, cfg.realms.internal]) {
    for (const l of realm.listeners) {
      add(l.advertise);
      if (l.transport === 'tls') add(l.address);
    }
    for (const h of realm.hostnames) add(h);
  }
  return { hosts: [...hosts], ips: [...ips] };
}

/** `certs/ca.crt` → `certs/ca.key`: where the generated CA's key goes. */
function keyPathFor(certPath: string): string {
  const ext = extname(certPath);
  return ext === '.crt' || ext === '.pem' ? `${certPath.slice(0, -ext.length)}.key` : `${certPath}.key`;
}

/**
 * First-start convenience: when transport.tls.certFile and keyFile are both missing
 * and generateIfMissing is on, create a CA and a server certificate for this
 * config's names. Existing files are never touched. The CA goes to caFile when that
 * is missing too (so peers' client certificates signed by it are trusted); when
 * caFile already holds the operator's bundle, it goes beside the server certificate
 * as palisade-ca.crt instead.
 */
export async function ensureCertificates(cfg: PalisadeConfig, logger: CertLogger, baseDir: string = process.cwd()): Promise<EnsureResult> {
  const tls = cfg.transport.tls;
  const cert = resolve(baseDir, tls.certFile);
  const key = resolve(baseDir, tls.keyFile);
  const haveCert = existsSync(cert);
  const haveKey = existsSync(key);
  if (haveCert && haveKey) return { status: 'present' };
  if (haveCert !== haveKey) {
    const missing = haveCert ? key : cert;
    logger.warn({ cert, key, missing }, 'TLS certificate or key missing while the other exists; not generating (fix the files or remove both)');
    return { status: 'partial', missing };
  }
  if (!tls.generateIfMissing) return { status: 'disabled' };

  const ca = resolve(baseDir, tls.caFile);
  const caFree = !existsSync(ca) && !existsSync(keyPathFor(ca));
  const caCert = caFree ? ca : join(dirname(cert), 'palisade-ca.crt');
  const files: WrittenFiles = { caCert, caKey: keyPathFor(caCert), cert, key };
  const names = subjectNamesFor(cfg);
  const set = await createCertificateSet({ ...names, caName: `Palisade CA (${cfg.node.name})` });
  await writeSet(set, files);
  logger.info({ cert, key, caCert: files.caCert, caKey: files.caKey, hosts: names.hosts, ips: names.ips }, 'generated a self-signed CA and TLS server certificate (replace them with your own for production)');
  return { status: 'generated', files };
}
