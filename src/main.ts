// Wires the layers together and nothing else: config → metrics/logs → transports →
// inbound handling → HTTP endpoint. Returned handle stops it all.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { PalisadeConfig } from './config/schema.js';
import { loadConfig } from './config/index.js';
import { ensureCertificates } from './transport/certs.js';
import { createTransportManager, type TransportManager } from './transport/index.js';
import { createHttpServer } from './observability/http.js';
import { createLogger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { createInbound } from './proxy/inbound.js';
import { createSelfMatcher } from './proxy/self.js';
import { createProxyCore, type ProxyCore } from './proxy/core.js';
import { createHeaderPolicy } from './proxy/headers-policy.js';
import { createPool, type Pool } from './proxy/route/pool.js';
import { createSipResolver } from './proxy/route/resolve.js';
import { createSealer, type SealKey } from './proxy/seal.js';
import { answerChallenge } from './security/digest/index.js';
import { createSecurityPipeline, type SecurityPipeline } from './security/index.js';
import { randomBytes } from 'node:crypto';
import { createStore } from './state/index.js';
import type { StartableStore } from './state/types.js';
import { createRelayEngine, relayOptionsFromConfig } from './media/relay/index.js';
import { createMediaLayer } from './proxy/media.js';

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
  readonly core: ProxyCore;
  readonly store: StartableStore;
  readonly security: SecurityPipeline;
  readonly pool: Pool;
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

  const store = await createStore(config.state, { logger, metrics, nodeName: config.node.name });

  const hasTls = [...config.realms.external.listeners, ...config.realms.internal.listeners].some((l) => l.transport === 'tls');
  if (hasTls) await ensureCertificates(config, logger, baseDir);

  // The inbound handler needs the transports to send and the transports need the
  // handler to deliver: bind late through this indirection.
  let deliver: (m: import('./transport/types.js').InboundMessage) => void = () => {};
  let core: ProxyCore | undefined;
  const security = createSecurityPipeline(config, { store, metrics, logger, instance: config.node.name });
  const transports = createTransportManager(config, {
    logger,
    metrics,
    baseDir,
    onMessage: (m) => deliver(m),
    onSendFailure: (dest) => core?.onSendFailure(dest),
    acceptConnection: (address) => security.acceptConnection(address),
  });

  // media anchoring (docs/media.md): the relay's workers start before any call can arrive
  const media = config.media.enabled
    ? createMediaLayer({ engine: await createRelayEngine({ ...relayOptionsFromConfig(config.media), metrics }), config, logger, spares: 2 })
    : undefined;

  let http: AddressInfo | undefined;
  const httpServer = config.http.enabled
    ? createHttpServer({
        address: config.http.address,
        port: config.http.port,
        registry: metrics.registry,
        logger,
        isReady: () => ready,
        admin: { listBans: () => security.listBans(), ban: (a, r, t) => security.ban(a, r ?? 'manual', t), unban: (a) => security.unban(a) },
        adminToken: config.http.adminToken,
      })
    : undefined;
  if (httpServer) http = await httpServer.start();

  try {
    await transports.start();
  } catch (err) {
    await httpServer?.stop();
    await media?.close();
    security.close();
    await store.close();
    throw err;
  }
  const isSelf = createSelfMatcher(transports.listeners(), [config.realms.external, config.realms.internal]);
  const keys: SealKey[] = config.topology.keys.length
    ? config.topology.keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64'), notAfter: k.notAfter ? Date.parse(k.notAfter) : undefined }))
    : [{ id: 0, key: randomBytes(32) }];
  const h = config.softswitches.health;
  const pool = createPool({
    targets: config.softswitches.targets,
    probe: (t, signal) => core!.probe(t, signal),
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    downAfter: h.downAfter,
    upAfter: h.upAfter,
    gauge: metrics.upstreamUp,
  });
  core = createProxyCore({
    config,
    logger,
    metrics,
    transports,
    isSelf,
    sealer: createSealer(keys),
    headerPolicy: createHeaderPolicy(config.topology),
    pool,
    resolver: createSipResolver(),
    answerChallenge: (challenges, req, cred) => {
      const r = answerChallenge(challenges, req, cred);
      return 'header' in r ? r.header : undefined;
    },
    media,
  });
  deliver = createInbound({ config, logger, metrics, transports, core, security }).handle;
  pool.start();
  ready = true;

  const onHup = () => {
    logger.info('SIGHUP: reloading TLS certificates and the security configuration');
    void transports.reloadTls();
    if (opts.configFile === undefined) return;
    // trunks (sources, credentials, limits, destination rules) and security settings
    // apply at once; listeners, routing targets and state backends need a restart
    const next = loadConfig({ file: opts.configFile });
    if (!next.ok) {
      logger.error({ errors: next.errors.map((e) => `${e.path}: ${e.message}`) }, 'SIGHUP: config invalid, keeping the running one');
      return;
    }
    security.reload(next.config);
    logger.info({ trunks: next.config.trunks.length }, 'SIGHUP: security configuration reloaded');
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
    core,
    pool,
    store,
    security,
    async stop() {
      ready = false;
      pool.stop();
      core?.stop();
      if (opts.handleSignals) process.off('SIGHUP', onHup);
      await transports.stop();
      await media?.close();
      await httpServer?.stop();
      security.close();
      await store.close();
      logger.info('palisade stopped');
    },
  };
}
