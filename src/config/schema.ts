// The one place that says what every option means and what it defaults to.
// Every object is strict: an unknown key is an error, so a typo never silently
// falls back to a default at the edge of a network.
import { isIP } from 'node:net';
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

// ---- edge security (src/security/, docs/security.md) ------------------------

const hexHa1 = (len: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${len}}$`), `${len} hex digits`);
const digestAlgorithm = z.enum(['SHA-512-256', 'SHA-256', 'MD5']);
// Digits with an optional leading +; separators are not allowed in config (they are in numbers dialled).
const destinationPrefix = z.string().regex(/^\+?[0-9]{1,15}$/, 'digits with an optional leading +');
const cidr = z
  .string()
  .refine((s) => {
    const slash = s.indexOf('/');
    const addr = slash < 0 ? s : s.slice(0, slash);
    const family = isIP(addr);
    if (family === 0) return false;
    if (slash < 0) return true;
    const bits = s.slice(slash + 1);
    return /^[0-9]{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
  }, 'an IPv4 or IPv6 address with an optional /prefix-length')
  .describe('IPv4 or IPv6 address or CIDR block, e.g. 203.0.113.0/24 or 2001:db8::/32');

const rateSchema = (rate: number, burst: number, what: string) =>
  z
    .strictObject({
      rate: z.number().positive().default(rate).describe(`${what}: sustained rate per source, per second`),
      burst: positiveInt.default(burst).describe(`${what}: burst allowed on top of the rate (bucket size)`),
    })
    .prefault({});

export const securitySchema = z
  .strictObject({
    identityHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .default('X-Palisade-Trunk')
      .describe('header naming the authenticated trunk on requests sent to the softswitch; any copy arriving from outside is removed first'),
    flood: z
      .strictObject({
        packets: rateSchema(400, 800, 'every packet, before parsing'),
        invite: rateSchema(20, 50, 'INVITE requests'),
        register: rateSchema(20, 50, 'REGISTER requests'),
        action: z.enum(['drop', 'reply']).default('drop').describe('over-rate requests: drop silently, or answer 503 with Retry-After (never for ACK)'),
        retryAfterS: positiveInt.default(30).describe('Retry-After of the 503 sent when action is reply'),
        banAfterExcess: positiveInt.default(200).describe('over-rate packets from one source within banWindowMs that ban it'),
        banWindowMs: positiveInt.default(10_000).describe('window over which over-rate packets are counted towards a ban'),
        maxSources: positiveInt.default(100_000).describe('most sources tracked per bucket table; idle ones are forgotten first'),
      })
      .prefault({})
      .describe('per-source token buckets'),
    bans: z
      .strictObject({
        floodTtlMs: positiveInt.default(600_000).describe('ban length for repeated flooding'),
        authTtlMs: positiveInt.default(3_600_000).describe('ban length for repeated authentication failures'),
        scannerTtlMs: positiveInt.default(86_400_000).describe('ban length for a scanner fingerprint'),
        malformedTtlMs: positiveInt.default(600_000).describe('ban length for repeated malformed packets'),
        manualTtlMs: positiveInt.default(86_400_000).describe('ban length for a manual ban given without one'),
      })
      .prefault({}),
    malformed: z
      .strictObject({
        banAfter: positiveInt.default(20).describe('malformed packets from one source within windowMs that ban it'),
        windowMs: positiveInt.default(60_000).describe('window over which malformed packets are counted'),
      })
      .prefault({}),
    scanner: z
      .strictObject({
        enabled: z.boolean().default(true).describe('drop and ban known scanners'),
        extraUserAgents: z.array(z.string().min(3).max(64)).default([]).describe('more User-Agent substrings (case-insensitive) that mark a scanner'),
        ignoreUserAgents: z.array(z.string().min(3).max(64)).default([]).describe('built-in User-Agent substrings not to treat as scanners (e.g. "sipsak" if you use it for monitoring)'),
        maxDistinctUsers: positiveInt.default(100).describe('distinct To users one source may probe without credentials within windowMs before it is a scanner'),
        windowMs: positiveInt.default(60_000).describe('window of the distinct-users count'),
        methods: z.array(z.string().regex(/^[A-Z]{1,32}$/)).default(['REGISTER', 'OPTIONS', 'INVITE']).describe('methods whose To users are counted'),
      })
      .prefault({}),
    auth: z
      .strictObject({
        realm: z.string().min(1).max(128).default('palisade').describe('digest realm of our challenges'),
        algorithms: z.array(digestAlgorithm).min(1).default(['SHA-512-256', 'SHA-256', 'MD5']).describe('algorithms challenged with, one challenge each, in this order (strongest first)'),
        nonceSecret: z.string().min(32).optional().describe('HMAC secret of the stateless nonces, at least 32 characters, the same on every instance (never logged); random per process when absent'),
        previousNonceSecrets: z.array(z.string().min(32)).default([]).describe('older secrets still accepted during a rotation'),
        nonceTtlMs: positiveInt.default(300_000).describe('nonce lifetime before it is answered with stale=true'),
        maxFailures: positiveInt.default(5).describe('authentication failures from one source within failureWindowMs that ban it'),
        failureWindowMs: positiveInt.default(60_000).describe('window of the failure count'),
        exemptMethods: z.array(z.string().regex(/^[A-Z]{1,32}$/)).default([]).describe('methods passed without credentials from unidentified sources (ACK and CANCEL always are)'),
      })
      .prefault({})
      .describe('digest authentication of requests from sources no trunk claims by address'),
    admission: z
      .strictObject({
        maxCalls: z.number().int().min(0).default(0).describe('most concurrent calls admitted by this instance; 0 is no limit'),
        maxEventLoopLagMs: z.number().min(0).default(250).describe('new INVITEs are shed with 503 while event-loop lag (p99) is above this; 0 turns the guard off'),
        retryAfterS: positiveInt.default(5).describe('Retry-After of the overload 503'),
      })
      .prefault({}),
    destinations: z
      .strictObject({
        countryCode: z.string().regex(/^[1-9][0-9]{0,2}$/).optional().describe('country calling code numbers without one are taken to be in (e.g. 44); trunks may override'),
        nationalPrefix: z.string().regex(/^[0-9]{0,4}$/).default('0').describe('trunk prefix of national numbers, dropped before the country code is added'),
        internationalPrefix: z.string().regex(/^[0-9]{0,4}$/).default('00').describe('prefix of international numbers (00, 011 in North America)'),
        defaultDeny: z.boolean().default(true).describe('apply the built-in premium-rate and high-fraud deny list (docs/security.md)'),
        deny: z.array(destinationPrefix).default([]).describe('E.164 prefixes denied for every trunk, on top of the built-in list'),
      })
      .prefault({})
      .describe('toll-fraud rules for new INVITEs'),
  })
  .prefault({});

export const trunkSourceSchema = z.strictObject({
  cidr,
  port: port.optional().describe('source port the trunk must send from'),
  transport: z.enum(['udp', 'tcp', 'tls']).optional().describe('transport the trunk must use'),
});

export const trunkAuthSchema = z
  .strictObject({
    username: z.string().min(1).max(128).describe('digest username the trunk authenticates with'),
    password: z.string().min(1).optional().describe('digest password (never logged)'),
    ha1: z
      .strictObject({
        md5: hexHa1(32).optional().describe('H(username:realm:password) with MD5'),
        sha256: hexHa1(64).optional().describe('the same with SHA-256'),
        sha512_256: hexHa1(64).optional().describe('the same with SHA-512/256'),
      })
      .optional()
      .describe('precomputed HA1s for security.auth.realm, instead of a password (never logged)'),
    algorithms: z.array(digestAlgorithm).min(1).optional().describe('algorithms this trunk may answer with; default all of security.auth.algorithms'),
  })
  .refine((a) => a.password !== undefined || a.ha1 !== undefined, { message: 'give a password or ha1' });

// ---- media relay (src/media/relay/, docs/media-relay.md) -------------------

const mediaRealmSchema = (what: string) =>
  z
    .strictObject({
      address: z
        .string()
        .refine((a) => isIP(a) !== 0, 'an IPv4 or IPv6 address')
        .default('127.0.0.1')
        .describe(`local IP the ${what} media sockets bind to`),
      advertise: z
        .string()
        .refine((a) => isIP(a) !== 0, 'an IPv4 or IPv6 address')
        .optional()
        .describe(`address written into SDP towards the ${what} realm when it differs from the bound one (1:1 NAT)`),
    })
    .prefault({});

/** SRTP towards a realm or trunk (docs/media.md): required, optional (best effort, RFC 4568) or off. */
export const srtpPolicySchema = z.enum(['required', 'optional', 'off']);
export type SrtpPolicyName = z.infer<typeof srtpPolicySchema>;
export const SRTP_SUITE_NAMES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM', 'AEAD_AES_256_GCM'] as const;

export const mediaSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('anchor the media of every call on the relay (SDP rewritten, RTP/SRTP relayed); false passes SDP bodies through untouched and leaks media addresses'),
    srtp: z
      .strictObject({
        external: srtpPolicySchema.default('optional').describe('SRTP on the external realm: required (an offer without SRTP gets 488; we offer RTP/SAVP), optional (SRTP when the peer offers it; we offer best-effort RTP/AVP with a=crypto), off (plain RTP; an RTP/SAVP offer gets 488)'),
        internal: srtpPolicySchema.default('off').describe('SRTP on the internal realm (the softswitch), same values'),
        suites: z
          .array(z.enum(SRTP_SUITE_NAMES))
          .min(1)
          .max(4)
          .default(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'])
          .describe('crypto suites we offer (a=crypto, one line each, in this order); answers accept any supported suite the peer offers'),
      })
      .prefault({})
      .describe('SRTP policy per realm (a trunk may override the external one)'),
    portMin: z.number().int().min(1024).max(65534).default(20000).describe('lowest RTP port (rounded up to even); RTP takes the even port of a pair, RTCP the odd one'),
    portMax: z.number().int().min(1025).max(65535).default(29999).describe('highest media port'),
    workers: z.number().int().min(0).max(256).default(0).describe('media worker threads, each owning an equal slice of the port range; 0 means one per available core'),
    timeoutMs: positiveInt.default(60_000).describe('a call with no valid media packet in either direction for this long is ended with BYE both ways'),
    holdTimeoutMs: positiveInt.default(3_600_000).describe('the same while any leg is on hold (sendonly, recvonly or inactive)'),
    latching: z
      .enum(['signaled', 'any'])
      .default('signaled')
      .describe('whose packets a leg learns its far end from: signaled (only the IP in SDP) or any (the first source, for NAT\'d clients whose SDP shows a private address)'),
    relatchAfterMs: positiveInt.default(2_000).describe('a latched leg silent this long may latch a new source (a moved NAT binding)'),
    statsIntervalMs: positiveInt.default(1_000).describe('how often workers check timeouts and push packet and drop counters to metrics'),
    realms: z
      .strictObject({
        external: mediaRealmSchema('external'),
        internal: mediaRealmSchema('internal'),
      })
      .prefault({}),
  })
  .refine((m) => m.portMax >= m.portMin + (m.portMin % 2) + 1, { message: 'portMin..portMax must hold at least one even/odd port pair', path: ['portMax'] })
  .prefault({})
  .describe('the media relay: RTP/SRTP anchoring, latching and media timeouts');

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
      enabled: z.boolean().default(true).describe('serve /metrics, /health and /ready'),
      address: ipOrHost.default('127.0.0.1').describe('address of the /metrics, /health and /ready server'),
      port: port.default(9090).describe('port of the /metrics, /health and /ready server'),
      adminToken: z
        .string()
        .min(16)
        .optional()
        .describe('bearer token required by the /admin/ endpoints (bans); without one they answer only requests from loopback addresses (never logged)'),
    })
    .prefault({}),
  sip: z
    .strictObject({
      limits: z
        .strictObject({
          udp: sipLimitsSchema.extend({ maxMessageBytes: sipLimitsSchema.shape.maxMessageBytes.default(16384) }).prefault({}),
          stream: sipLimitsSchema
            .extend({ maxMessageBytes: positiveInt.max(1_048_576).default(65536).describe('largest message accepted on TCP/TLS, in bytes (at most 1 MiB)') })
            .prefault({}),
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
      udpReceiveBufferBytes: z
        .number()
        .int()
        .min(0)
        .max(268_435_456)
        .default(4_194_304)
        .describe('SO_RCVBUF asked for on UDP listeners (capped by the kernel\'s net.core.rmem_max); 0 keeps the system default'),
      maxBufferedBytes: positiveInt.default(131_072).describe('most unframed bytes buffered per connection before it is closed'),
      connectTimeoutMs: positiveInt
        .default(5000)
        .describe('an outbound TCP connection (and for TLS its handshake) not established within this time fails'),
      tls: tlsFilesSchema
        .extend({
          handshakeTimeoutMs: positiveInt.default(5000).describe('close a TLS connection that has not finished its handshake in this time'),
          minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('oldest TLS version accepted'),
          ciphers: z
            .string()
            .default(
              'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
            )
            .describe('OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always the strong defaults)'),
          generateIfMissing: z.boolean().default(true).describe('create a self-signed CA and server certificate on first start when none exist'),
          watch: z.boolean().default(true).describe('reload certificate and key when the files change'),
          verifyServer: z.boolean().default(true).describe('verify the certificate (chain and name) of servers we connect to over TLS'),
          trustFile: z
            .string()
            .min(1)
            .optional()
            .describe('PEM CA bundle trusted for servers we connect to; when absent, the system CAs plus caFile'),
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
  proxy: z
    .strictObject({
      timers: z
        .strictObject({
          t1Ms: positiveInt.default(500).describe('RFC 3261 T1: round-trip estimate; base of retransmission and timeout timers'),
          t2Ms: positiveInt.default(4000).describe('RFC 3261 T2: longest retransmission interval for non-INVITE requests and INVITE responses'),
          t4Ms: positiveInt.default(5000).describe('RFC 3261 T4: how long a message may stay in the network'),
          timerCMs: positiveInt.default(180_000).describe('RFC 3261 §16.6 Timer C: an INVITE with no final answer for this long is cancelled'),
        })
        .prefault({}),
      maxForwards: positiveInt.max(255).default(70).describe('Max-Forwards put on requests that arrive without one'),
      dialogIdleMs: positiveInt
        .default(7_200_000)
        .describe('a dialog with no in-dialog request for this long (and no Session-Expires telling otherwise) is torn down with BYE both ways'),
      trunkHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]{1,64}$/)
        .default('X-Palisade-Trunk')
        .describe('header by which the softswitch names the trunk for a call it sends out; removed before sending'),
    })
    .prefault({}),
  topology: z
    .strictObject({
      maskCallId: z
        .strictObject({
          external: z.boolean().default(true).describe('replace the Call-ID of calls sent to the external realm'),
          internal: z.boolean().default(true).describe('replace the Call-ID of calls sent to the softswitch'),
        })
        .prefault({}),
      keys: z
        .array(
          z.strictObject({
            id: z.number().int().min(0).max(255).describe('key id carried in tokens; must be unique'),
            key: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'a base64 encoding of 32 bytes').describe('AES-256-GCM key, base64 (openssl rand -base64 32)'),
            notAfter: z.string().datetime({ offset: true }).optional().describe('retired key: tokens sealed with it open until this time (ISO 8601)'),
          }),
        )
        .default([])
        .describe('token keys, newest first; the first seals, all open. Empty: a random key per process (fine for one instance, not for a fleet)'),
      strip: z
        .strictObject({
          toExternal: z
            .array(z.string().min(1))
            .default(['P-*', 'X-*', 'Server', 'User-Agent', 'Organization', 'Warning', 'History-Info', 'Diversion', 'Call-Info', 'Alert-Info', 'Error-Info', 'Remote-Party-ID', 'Reason', 'Path', 'Service-Route'])
            .describe('headers removed from everything sent to the external realm (a trailing * matches a prefix)'),
          toInternal: z
            .array(z.string().min(1))
            .default(['P-*', 'X-*', 'Server', 'User-Agent', 'Organization', 'Warning', 'Path', 'Service-Route'])
            .describe('headers removed from everything sent to the softswitch (a trailing * matches a prefix)'),
        })
        .prefault({}),
      keep: z
        .strictObject({
          toExternal: z.array(z.string().min(1)).default([]).describe('exceptions to strip.toExternal'),
          toInternal: z.array(z.string().min(1)).default([]).describe('exceptions to strip.toInternal'),
        })
        .prefault({}),
      add: z
        .strictObject({
          toExternal: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9!%*_+`'~.-]+$/), value: z.string().regex(/^[^\r\n]*$/) })).default([]).describe('headers set (replacing any of that name) on everything sent to the external realm'),
          toInternal: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9!%*_+`'~.-]+$/), value: z.string().regex(/^[^\r\n]*$/) })).default([]).describe('headers set (replacing any of that name) on everything sent to the softswitch'),
        })
        .prefault({}),
    })
    .prefault({}),
  softswitches: z
    .strictObject({
      targets: z
        .array(
          z.strictObject({
            id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).describe('name in logs and in palisade_upstream_up{target}'),
            host: ipOrHost.describe('address or DNS name of the softswitch'),
            port: port.optional().describe('default 5060 (5061 for tls)'),
            transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
            priority: z.number().int().min(0).max(65535).default(1).describe('lower is preferred; higher priorities are used only when all lower ones are down'),
            weight: z.number().int().min(0).max(65535).default(100).describe('share of new calls among targets of the same priority'),
          }),
        )
        .default([])
        .describe('the internal softswitches calls from the external realm go to'),
      health: z
        .strictObject({
          intervalMs: positiveInt.default(10_000).describe('OPTIONS health check interval per target'),
          timeoutMs: positiveInt.default(2_000).describe('a check unanswered for this long fails'),
          downAfter: positiveInt.default(2).describe('consecutive failures that mark a target down'),
          upAfter: positiveInt.default(1).describe('consecutive successes that mark it up again'),
        })
        .prefault({}),
    })
    .prefault({}),
  state: z
    .strictObject({
      backend: z
        .enum(['memory', 'redis'])
        .default('memory')
        .describe('memory: bans, counters and nonces live in this process (one instance); redis: shared by every instance of a fleet'),
      failMode: z
        .enum(['open', 'closed'])
        .default('open')
        .describe('while Redis is unreachable: open counts concurrent calls locally and keeps admitting; closed refuses new calls until the fleet total is known again'),
      instanceId: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
        .optional()
        .describe('names this process\'s share of fleet-wide counts; must be unique in the fleet (default node.name, host name and pid)'),
      memory: z
        .strictObject({
          sweepIntervalMs: positiveInt.default(10_000).describe('how often expired bans, counters and nonces are removed'),
          maxNonces: positiveInt.default(100_000).describe('most digest nonces remembered for replay protection; the oldest go first'),
          maxWindows: positiveInt.default(1_000_000).describe('most rate-limit counters held; the oldest go first'),
        })
        .prefault({})
        .describe('the in-process tables (also the Redis backend\'s fallback while Redis is away)'),
      redis: z
        .strictObject({
          url: z
            .string()
            .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
            .optional()
            .describe('standalone server, e.g. redis://:password@10.0.0.5:6379/0; with sentinels or cluster only its user and password are used (never logged)'),
          sentinels: z.array(z.strictObject({ host: ipOrHost, port })).default([]).describe('Sentinel addresses; when set, the master is found through them'),
          sentinelName: z.string().min(1).default('mymaster').describe('master group name the sentinels watch'),
          cluster: z.array(z.strictObject({ host: ipOrHost, port })).default([]).describe('seed nodes of a Redis Cluster; when set, url host and port are ignored'),
          keyPrefix: z.string().max(64).default('palisade:').describe('prefix of every key and pub/sub channel, so fleets can share a server'),
          commandTimeoutMs: positiveInt.default(500).describe('a command unanswered for this long fails and the store answers from local state'),
          connectTimeoutMs: positiveInt.default(2000).describe('limit of one connection attempt'),
          shareTtlMs: positiveInt.default(5000).describe('a crashed instance\'s concurrent-call counts leave the fleet total after this long'),
          refreshIntervalMs: positiveInt.default(500).describe('how often this instance refreshes its counts and re-reads fleet totals (and probes Redis while it is down)'),
          resyncIntervalMs: positiveInt.default(60_000).describe('full reload of the fleet\'s bans, repairing any pub/sub message lost'),
          startupTimeoutMs: positiveInt.default(5000).describe('how long start-up waits for the first load of fleet state before serving on local state'),
        })
        .prefault({})
        .describe('the Redis backend (standalone URL, Sentinel or Cluster)'),
    })
    .prefault({})
    .refine((s) => s.backend !== 'redis' || s.redis.url !== undefined || s.redis.sentinels.length > 0 || s.redis.cluster.length > 0, {
      message: 'state.backend redis needs state.redis.url, sentinels or cluster',
      path: ['redis', 'url'],
    })
    .describe('shared state: bans, rate-limit counters, concurrent-call counts, digest nonces'),
  security: securitySchema.describe('the edge security pipeline (docs/security.md)'),
  media: mediaSchema,
  trunks: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).describe('trunk name, as given in proxy.trunkHeader and in metrics'),
        srtp: srtpPolicySchema.optional().describe('SRTP policy of this trunk\'s calls, overriding media.srtp.external'),
        target: z.string().regex(/^sips?:/i, 'a sip: or sips: URI').optional().describe('where calls for this trunk are sent, e.g. sip:carrier.example.com;transport=tls'),
        prefixes: z.array(z.string().regex(/^\+?[0-9*#]{1,32}$/)).default([]).describe('Request-URI user prefixes routed to this trunk when the softswitch names no trunk'),
        credentials: z
          .strictObject({
            username: z.string().min(1),
            password: z.string().min(1).optional().describe('outbound digest password (never logged)'),
            realm: z.string().optional().describe('answer only challenges of this realm'),
          })
          .optional()
          .describe('credentials for answering the carrier\'s 401/407 challenges'),
        sources: z.array(trunkSourceSchema).default([]).describe('addresses the trunk sends from; a request from one of them is this trunk\'s without digest (longest prefix wins)'),
        tlsSubject: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .describe('TLS client certificate subject CN (or "CN=…,O=…" to compare more fields) the trunk must present; alone, it identifies the trunk from any address'),
        auth: trunkAuthSchema.optional().describe('inbound digest credentials, for a trunk that does not come from fixed addresses'),
        limits: z
          .strictObject({
            maxCalls: positiveInt.optional().describe('most concurrent calls from this trunk, fleet-wide'),
            cps: positiveInt.optional().describe('most new calls per second from this trunk, fleet-wide'),
            packetRate: z.number().positive().optional().describe('per-source packet rate for this trunk\'s addresses (overrides security.flood.packets.rate)'),
            packetBurst: positiveInt.optional().describe('per-source packet burst for this trunk\'s addresses'),
          })
          .optional()
          .describe('call admission limits'),
        destinations: z
          .strictObject({
            allow: z.array(destinationPrefix).default([]).describe('E.164 prefixes this trunk may call; when non-empty, everything else is refused'),
            deny: z.array(destinationPrefix).default([]).describe('E.164 prefixes this trunk may not call'),
            defaultDeny: z.boolean().optional().describe('override security.destinations.defaultDeny for this trunk'),
            countryCode: z.string().regex(/^[1-9][0-9]{0,2}$/).optional().describe('override security.destinations.countryCode'),
            nationalPrefix: z.string().regex(/^[0-9]{0,4}$/).optional().describe('override security.destinations.nationalPrefix'),
            internationalPrefix: z.string().regex(/^[0-9]{0,4}$/).optional().describe('override security.destinations.internationalPrefix'),
          })
          .optional()
          .describe('toll-fraud rules (longest matching prefix wins; see docs/security.md)'),
      }),
    )
    .default([])
    .describe('carrier and customer trunks'),
});

export type PalisadeConfig = z.infer<typeof configSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
export type RealmConfig = z.infer<typeof realmSchema>;
export type SipLimitsConfig = z.infer<typeof sipLimitsSchema>;
export type SecurityConfig = z.infer<typeof securitySchema>;
export type MediaConfig = z.infer<typeof mediaSchema>;
