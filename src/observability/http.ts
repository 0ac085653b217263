// The operator's HTTP endpoint: /metrics for Prometheus, /health for liveness
// (the process answers), /ready for readiness (every listener is bound).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  address: string;
  port: number;
  registry: Registry;
  logger: Logger;
  /** Reported by /ready; the caller flips it once listeners are bound, and back while stopping. */
  isReady: () => boolean;
}

export interface HttpServer {
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        (err: unknown) => {
          opts.logger.error({ err }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (path === '/health') {
      json(res, 200, { status: 'ok' });
      return;
    }
    if (path === '/ready') {
      const ready = opts.isReady();
      json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
      return;
    }
    json(res, 404, { error: 'not found' });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 256;

  return {
    start: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(opts.port, opts.address, () => {
          server.off('error', reject);
          server.on('error', (err) => opts.logger.error({ err }, 'http server error'));
          resolve(server.address() as AddressInfo);
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
