// The TLS credentials of one listener: read from files (asynchronously), validated by
// building a SecureContext before use, and swapped into the server with
// setSecureContext() so handshakes after a reload use the new certificate while open
// connections keep theirs. A reload that fails keeps the previous credentials.
import { constants as cryptoConstants } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { watchFile, unwatchFile, type Stats } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

export interface TlsFiles {
  readonly certFile: string; // absolute
  readonly keyFile: string; // absolute
  /** Only when client certificates are verified; otherwise the CA file need not exist. */
  readonly caFile?: string;
}

export interface TlsSettings {
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers: string;
}

export interface ReloadResult {
  readonly ok: boolean;
  readonly error?: string;
}

export interface TlsWatchOptions {
  /** fs.watchFile polling interval. Polling (not fs.watch) survives files replaced by rename, as with symlinked secrets. */
  readonly intervalMs: number;
  /** Cert and key are often written one after the other: wait this long after the last change. */
  readonly debounceMs: number;
}

export interface TlsCredentials {
  /** The options for tls.createServer / setSecureContext, last known good. */
  current(): SecureContextOptions;
  /** Rereads the files; on success calls the apply callback given to createTlsCredentials. */
  reload(): Promise<ReloadResult>;
  /** Reloads when any of the files changes, until close(). */
  watch(opts: TlsWatchOptions): void;
  close(): void;
}

export interface TlsCredentialsDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly listenerId: string;
  /** Installs new options on the server (server.setSecureContext). May throw. */
  apply(options: SecureContextOptions): void;
}

/** Reads and validates the files; throws with a message naming the file at fault. */
export async function loadSecureContextOptions(files: TlsFiles, settings: TlsSettings): Promise<SecureContextOptions> {
  const [cert, key, ca] = await Promise.all([
    readNamed(files.certFile, 'certificate'),
    readNamed(files.keyFile, 'key'),
    files.caFile === undefined ? Promise.resolve(undefined) : readNamed(files.caFile, 'CA'),
  ]);
  const options: SecureContextOptions = {
    cert,
    key,
    ...(ca !== undefined ? { ca } : {}),
    minVersion: settings.minVersion,
    ciphers: settings.ciphers,
    honorCipherOrder: true,
    // A client-initiated TLS 1.2 renegotiation costs the server a handshake on demand:
    // a cheap DoS lever (testssl flags it), and nothing SIP needs.
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  };
  try {
    // Building a context checks the PEM syntax and that the key matches the certificate.
    createSecureContext(options);
  } catch (err) {
    throw new Error(`invalid TLS material (${files.certFile}, ${files.keyFile}${files.caFile ? `, ${files.caFile}` : ''}): ${errorMessage(err)}`);
  }
  return options;
}

/** Starts from already loaded options (the first load must succeed for start() to). */
export function createTlsCredentials(
  files: TlsFiles,
  settings: TlsSettings,
  initial: SecureContextOptions,
  deps: TlsCredentialsDeps,
): TlsCredentials {
  let current = initial;
  // Reloads run one at a time so a watch event and a SIGHUP cannot interleave.
  let chain: Promise<ReloadResult> = Promise.resolve({ ok: true });
  let debounce: NodeJS.Timeout | undefined;
  let watching = false;
  let closed = false;

  const onFileChange = (curr: Stats, prev: Stats): void => {
    if (curr.mtimeMs === prev.mtimeMs && curr.size === prev.size && curr.ino === prev.ino) return;
    if (debounce !== undefined) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      if (!closed) void reload();
    }, debounceMs);
    debounce.unref();
  };
  let debounceMs = 0;

  function reload(): Promise<ReloadResult> {
    chain = chain.then(reloadOnce, reloadOnce);
    return chain;
  }

  async function reloadOnce(): Promise<ReloadResult> {
    try {
      const next = await loadSecureContextOptions(files, settings);
      if (closed) return { ok: false, error: 'transport stopped' };
      deps.apply(next);
      current = next;
      deps.metrics.tlsReloads.inc({ result: 'ok' });
      deps.logger.info({ listenerId: deps.listenerId, certFile: files.certFile, ...describeCert(next.cert) }, 'TLS certificate reloaded');
      return { ok: true };
    } catch (err) {
      const error = `listener ${deps.listenerId}: ${errorMessage(err)}`;
      deps.metrics.tlsReloads.inc({ result: 'error' });
      deps.logger.error({ listenerId: deps.listenerId, err: errorMessage(err) }, 'TLS reload failed; keeping the previous certificate');
      return { ok: false, error };
    }
  }

  function paths(): string[] {
    return [files.certFile, files.keyFile, ...(files.caFile !== undefined ? [files.caFile] : [])];
  }

  return {
    current: () => current,
    reload,
    watch(opts) {
      if (watching || closed) return;
      watching = true;
      debounceMs = opts.debounceMs;
      for (const p of paths()) watchFile(p, { interval: opts.intervalMs, persistent: false }, onFileChange);
    },
    close() {
      closed = true;
      if (debounce !== undefined) clearTimeout(debounce);
      if (watching) for (const p of paths()) unwatchFile(p, onFileChange);
      watching = false;
    },
  };
}

async function readNamed(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`cannot read TLS ${what} file ${path}: ${errorMessage(err)}`);
  }
}

function describeCert(cert: SecureContextOptions['cert']): Record<string, string> {
  try {
    const pem = Array.isArray(cert) ? cert[0] : cert;
    if (pem === undefined) return {};
    const x = new X509Certificate(typeof pem === 'string' ? pem : Buffer.from(pem as Buffer));
    return { serial: x.serialNumber, subject: x.subject, validTo: x.validTo };
  } catch {
    return {};
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
