// Wires the layers together and nothing else: config → metrics/logs → transports →
// inbound handling → HTTP endpoint. Returned handle stops it all.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { PalisadeConfig } from './config/schema.js';
import { ensureCertificates } from './transport/certs.js';
import { createTransportManager, type TransportManager } from './transport/index.js';
import { createHttpServer } from './observability/http.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createInbound } from './proxy/inbound.js';
import { createSelfMatcher } from './proxy/self.js';

export interface StartOptions {
  configFile?: string;
  /** Base for relative paths (certificates); default the working directory. */
  baseDir?: string;
  logger?: Logger;
  /** Install SIGHUP → TLS reload (the CLI does; tests running several instances don't). */
  handleSignals?: boolean;
}

export interface Palisade {
  readonly config: PalisadeConfig;
  readonly metrics: Metrics;
  readonly transports: TransportManager;
  /** Where /metrics, /health and /ready are served, when enabled. */
  readonly http?: AddressInfo;
  stop(): Promise<void>;
}

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    // running from dist/src: package.json is one level further up
  }
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function startPalisade(config: PalisadeConfig, opts: StartOptions = {}): Promise<Palisade> {
  const logger = opts.logger ?? createLogger({ level: config.log.level, name: config.node.name });
  const version = packageVersion();
  const metrics = createMetrics({ version });
  const baseDir = opts.baseDir ?? process.cwd();
  let ready = false;

  const hasTls = [...config.realms.external.listeners, ...config.realms.internal.listeners].some((l) => l.transport === 'tls');
  if (hasTls) await ensureCertificates(config, logger, baseDir);

  // The inbound handler needs the transports to send and the transports need the
  // handler to deliver: bind late through this indirection.
  let deliver: (m: import('./transport/types.js').InboundMessage) => void = () => {};
  const transports = createTransportManager(config, { logger, metrics, baseDir, onMessage: (m) => deliver(m) });

  let http: AddressInfo | undefined;
  const httpServer = config.http.enabled
    ? createHttpServer({ address: config.http.address, port: config.http.port, registry: metrics.registry, logger, isReady: () => ready })
    : undefined;
  if (httpServer) http = await httpServer.start();

  try {
    await transports.start();
  } catch (err) {
    await httpServer?.stop();
    throw err;
  }
  const isSelf = createSelfMatcher(transports.listeners(), [config.realms.external, config.realms.internal]);
  deliver = createInbound({ config, logger, metrics, transports, isSelf }).handle;
  ready = true;

  const onHup = () => {
    logger.info('SIGHUP: reloading TLS certificates');
    void transports.reloadTls();
  };
  if (opts.handleSignals) process.on('SIGHUP', onHup);

  logger.info(
    { version, listeners: transports.listeners().map((l) => `${l.transport}:${l.address}:${l.port} (${l.realm})`), http: http && `${http.address}:${http.port}` },
    'palisade started',
  );

  return {
    config,
    metrics,
    transports,
    http,
    async stop() {
      ready = false;
      if (opts.handleSignals) process.off('SIGHUP', onHup);
      await transports.stop();
      await httpServer?.stop();
      logger.info('palisade stopped');
    },
  };
}
