// The client side of a TLS listener, for connections we open (to a softswitch, to a
// carrier trunk). It presents the listener's own certificate and key, so trunks that
// require mutual TLS accept us, and verifies the server against a trust store: the
// operator's trustFile when set, else Node's CA store plus our caFile (so a softswitch
// with a certificate from our own CA verifies out of the box).
//
// Building a SecureContext with ~150 root certificates costs milliseconds, so one is
// kept and rebuilt only when the listener's credentials or the trust store change.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, rootCertificates, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { ReloadResult, TlsSettings } from './tls-context.js';
import { errorMessage } from './tls-context.js';

export interface TlsClientSettings {
  /** Check the server's chain and that its certificate names the server. */
  readonly verifyServer: boolean;
  /** Absolute; when set, the only CAs trusted for servers. */
  readonly trustFile?: string;
  /** Absolute; trusted alongside Node's CA store when there is no trustFile, if the file exists. */
  readonly caFile: string;
}

export interface TlsClient {
  readonly verifyServer: boolean;
  /** The context for the next connect. */
  context(): SecureContext;
  /** Rereads the trust store; on failure the previous one stays. */
  reloadTrust(): Promise<ReloadResult>;
}

/**
 * `own` returns the listener's current server options (certificate, key); it changes
 * identity on every successful reload, which is how a stale context is noticed.
 */
export async function createTlsClient(settings: TlsClientSettings, tls: TlsSettings, own: () => SecureContextOptions): Promise<TlsClient> {
  let trust = settings.verifyServer ? await loadTrust(settings) : undefined;
  let cached: { own: SecureContextOptions; trust: string[] | undefined; context: SecureContext } | undefined;

  return {
    verifyServer: settings.verifyServer,
    context() {
      const mine = own();
      if (cached !== undefined && cached.own === mine && cached.trust === trust) return cached.context;
      const context = createSecureContext({
        cert: mine.cert,
        key: mine.key,
        ...(trust !== undefined ? { ca: trust } : {}),
        minVersion: tls.minVersion,
        ciphers: tls.ciphers,
      });
      cached = { own: mine, trust, context };
      return context;
    },
    async reloadTrust() {
      if (!settings.verifyServer) return { ok: true };
      try {
        trust = await loadTrust(settings);
        return { ok: true };
      } catch (err) {
        return { ok: false, error: errorMessage(err) };
      }
    },
  };
}

/** The CA certificates (PEM) servers are verified against. */
async function loadTrust(s: TlsClientSettings): Promise<string[]> {
  if (s.trustFile !== undefined) {
    const pem = await readFile(s.trustFile, 'latin1').catch((err: unknown) => {
      throw new Error(`cannot read TLS trust file ${s.trustFile}: ${errorMessage(err)}`);
    });
    validate(pem, s.trustFile);
    return [pem];
  }
  // caFile is optional here: without it (mutual TLS unused, nothing generated) the
  // system store alone decides.
  const ca = await readFile(s.caFile, 'latin1').catch(() => undefined);
  if (ca === undefined) return [...rootCertificates];
  validate(ca, s.caFile);
  return [...rootCertificates, ca];
}

/** OpenSSL skips what it cannot parse in a CA list, so a broken bundle is caught here instead. */
function validate(pem: string, file: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`invalid CA bundle ${file}: no PEM certificate in it`);
  for (const b of blocks) {
    try {
      new X509Certificate(b);
    } catch (err) {
      throw new Error(`invalid CA bundle ${file}: ${errorMessage(err)}`);
    }
  }
}
