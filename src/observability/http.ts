// The operator's HTTP endpoint: /metrics for Prometheus, /health for liveness
// (the process answers), /ready for readiness (every listener is bound).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isIP } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** What the admin endpoints may do; absent, /admin/ answers 404. */
export interface AdminApi {
  listBans(): unknown[];
  ban(address: string, reason: string | undefined, ttlMs: number | undefined): Promise<unknown>;
  unban(address: string): Promise<boolean>;
}

export interface HttpServerOptions {
  address: string;
  port: number;
  registry: Registry;
  logger: Logger;
  /** Reported by /ready; the caller flips it once listeners are bound, and back while stopping. */
  isReady: () => boolean;
  admin?: AdminApi;
  /** When set, /admin/ requires `Authorization: Bearer <token>`; else only loopback clients. */
  adminToken?: string;
}

export interface HttpServer {
  start(): Promise<AddressInfo>;
  stop(): Promise<void>;
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path?.startsWith('/admin/')) {
      void admin(req, res, path);
      return;
    }
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
  async function admin(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, path: string): Promise<void> {
    const api = opts.admin;
    if (!api) return json(res, 404, { error: 'not found' });
    if (!adminAllowed(req)) return json(res, 403, { error: 'forbidden' });
    try {
      if (path === '/admin/bans' && req.method === 'GET') return json(res, 200, { bans: api.listBans() });
      if (path === '/admin/bans' && req.method === 'POST') {
        const body = (await readJson(req)) as { address?: unknown; reason?: unknown; ttlSeconds?: unknown } | undefined;
        if (!body || typeof body.address !== 'string' || isIP(body.address) === 0) return json(res, 400, { error: 'address must be an IPv4 or IPv6 address' });
        const reason = typeof body.reason === 'string' ? body.reason.slice(0, 64) : undefined;
        const ttl = typeof body.ttlSeconds === 'number' && body.ttlSeconds > 0 ? body.ttlSeconds * 1000 : undefined;
        const ban = await api.ban(body.address, reason, ttl);
        opts.logger.info({ address: body.address, reason, ttlMs: ttl }, 'manual ban (admin API)');
        return json(res, 201, { ban });
      }
      const m = /^\/admin\/bans\/([0-9A-Fa-f:.]{2,45})$/.exec(path);
      if (m && req.method === 'DELETE') {
        const address = decodeURIComponent(m[1]!);
        const lifted = await api.unban(address);
        opts.logger.info({ address, lifted }, 'ban lifted (admin API)');
        return json(res, lifted ? 200 : 404, { lifted });
      }
      return json(res, 404, { error: 'not found' });
    } catch (err) {
      opts.logger.error({ err }, 'admin request failed');
      return json(res, 500, { error: 'internal error' });
    }
  }

  function adminAllowed(req: import('node:http').IncomingMessage): boolean {
    if (opts.adminToken !== undefined) {
      const got = Buffer.from(req.headers.authorization ?? '');
      const want = Buffer.from(`Bearer ${opts.adminToken}`);
      return got.length === want.length && timingSafeEqual(got, want);
    }
    const a = req.socket.remoteAddress ?? '';
    return a === '::1' || a.startsWith('127.') || a.startsWith('::ffff:127.');
  }

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

/** A small JSON body (at most 4 KiB); undefined when absent or not JSON. */
function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 4096) {
        req.destroy();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
    req.on('error', () => resolve(undefined));
  });
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
