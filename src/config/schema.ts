// The one place that says what every option means and what it defaults to.
// Every object is strict: an unknown key is an error, so a typo never silently
// falls back to a default at the edge of a network.
import { z } from 'zod';

export type Transport = 'udp' | 'tcp' | 'tls';
export type RealmName = 'external' | 'internal';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const ipOrHost = z.string().min(1).max(253);

export const sipLimitsSchema = z
  .strictObject({
    maxMessageBytes: positiveInt.max(65507).describe('largest message accepted, in bytes (UDP datagrams cannot exceed 65,507)'),
    maxHeaders: positiveInt.max(4096).default(256).describe('most header lines in one message'),
    maxHeaderLineBytes: positiveInt.max(65507).default(8192).describe('longest header line, folded continuation lines included'),
    maxVias: positiveInt.max(1024).default(32).describe('most Via values in one message'),
    maxUriBytes: positiveInt.max(65507).default(2048).describe('longest Request-URI'),
  })
  .describe('parser limits; anything beyond them is refused before any state is created');

export const tlsFilesSchema = z.strictObject({
  certFile: z.string().min(1).default('certs/server.crt').describe('PEM server certificate chain; reloaded when the file changes or on SIGHUP'),
  keyFile: z.string().min(1).default('certs/server.key').describe('PEM private key of the server certificate'),
  caFile: z.string().min(1).default('certs/ca.crt').describe('PEM CA bundle used to verify client certificates (mutual TLS)'),
});

export const listenerSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional().describe('name used in logs and metrics; defaults to realm-transport-address-port'),
    transport: z.enum(['udp', 'tcp', 'tls']).describe('udp, tcp or tls'),
    address: ipOrHost.default('127.0.0.1').describe('local IPv4 or IPv6 address to bind ("::" or "0.0.0.0" for all)'),
    port: port.optional().describe('local port; default 5060 for udp/tcp and 5061 for tls; 0 picks a free port'),
    advertise: ipOrHost.optional().describe('address or name put in our Via/Contact/Record-Route on this listener (defaults to the bound address)'),
    tls: z
      .strictObject({
        certFile: z.string().min(1).optional().describe('overrides transport.tls.certFile for this listener'),
        keyFile: z.string().min(1).optional().describe('overrides transport.tls.keyFile for this listener'),
        caFile: z.string().min(1).optional().describe('overrides transport.tls.caFile for this listener'),
        clientCert: z
          .enum(['none', 'request', 'require'])
          .default('none')
          .describe('client certificate verification: none, request (verify if sent), require (mutual TLS)'),
      })
      .optional()
      .describe('TLS settings of this listener (transport: tls only)'),
  })
  .refine((l) => l.transport === 'tls' || l.tls === undefined, { message: 'tls settings are only valid on a tls listener', path: ['tls'] });

export const realmSchema = z.strictObject({
  listeners: z.array(listenerSchema).default([]).describe('the sockets this realm listens on'),
  hostnames: z.array(ipOrHost).default([]).describe('extra names and addresses that mean "this SBC" in a Request-URI'),
});

export const configSchema = z.strictObject({
  node: z
    .strictObject({
      name: z.string().min(1).max(64).default('palisade').describe('instance name, in logs and as the server identity'),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
      dropSampleIntervalMs: positiveInt.default(1000).describe('at most one log line per drop reason and source per interval'),
    })
    .prefault({}),
  http: z
    .strictObject({
      enabled: z.boolean().default(true),
      address: ipOrHost.default('127.0.0.1').describe('address of the /metrics, /health and /ready server'),
      port: port.default(9090).describe('port of the /metrics, /health and /ready server'),
    })
    .prefault({}),
  sip: z
    .strictObject({
      limits: z
        .strictObject({
          udp: sipLimitsSchema.extend({ maxMessageBytes: sipLimitsSchema.shape.maxMessageBytes.default(16384) }).prefault({}),
          stream: sipLimitsSchema.extend({ maxMessageBytes: sipLimitsSchema.shape.maxMessageBytes.default(65536) }).prefault({}),
        })
        .prefault({}),
      forceRport: z
        .boolean()
        .default(true)
        .describe('send UDP responses to the source port of the request even without ;rport in its Via (symmetric response routing for clients behind NAT)'),
      malformed: z
        .enum(['reply', 'drop'])
        .default('reply')
        .describe('answer a malformed request with 400 when enough of it parsed (reply), or drop it silently (drop)'),
    })
    .prefault({}),
  transport: z
    .strictObject({
      maxConnections: positiveInt.default(10000).describe('most open TCP+TLS connections in total'),
      maxConnectionsPerIp: positiveInt.default(64).describe('most open TCP+TLS connections from one remote address'),
      idleTimeoutMs: positiveInt.default(600_000).describe('close a stream connection with no traffic for this long'),
      maxBufferedBytes: positiveInt.default(131_072).describe('most unframed bytes buffered per connection before it is closed'),
      tls: tlsFilesSchema
        .extend({
          handshakeTimeoutMs: positiveInt.default(5000).describe('close a TLS connection that has not finished its handshake in this time'),
          minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
          ciphers: z
            .string()
            .default(
              'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
            )
            .describe('OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always the strong defaults)'),
          generateIfMissing: z.boolean().default(true).describe('create a self-signed CA and server certificate on first start when none exist'),
          watch: z.boolean().default(true).describe('reload certificate and key when the files change'),
        })
        .prefault({}),
    })
    .prefault({}),
  realms: z
    .strictObject({
      external: realmSchema.prefault({}),
      internal: realmSchema.prefault({}),
    })
    .prefault({}),
});

export type PalisadeConfig = z.infer<typeof configSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type RealmConfig = z.infer<typeof realmSchema>;
export type SipLimitsConfig = z.infer<typeof sipLimitsSchema>;
