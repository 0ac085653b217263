// The pino logger, with every secret redacted, and a sampler so a flood of bad
// packets cannot become a flood of log lines.
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'ha1', '*.ha1', '*.*.ha1',
  'secret', '*.secret', '*.*.secret',
  'authorization', '*.authorization', 'proxyAuthorization', '*.proxyAuthorization',
  'headers.authorization', 'headers["proxy-authorization"]',
  'key', '*.key', 'privateKey', '*.privateKey', '*.*.privateKey',
  'keyPem', '*.keyPem',
];

export function createLogger(opts: { level: LevelWithSilent; name?: string }, dest?: DestinationStream): Logger {
  return pino(
    {
      level: opts.level,
      name: opts.name ?? 'palisade',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    dest,
  );
}

/**
 * Returns a function that logs a drop at most once per (reason, key) per interval; the
 * metrics count every drop, the log only samples them. The table is cleared every
 * interval so it holds at most the keys seen in one interval.
 */
export function createSampledLog(logger: Logger, intervalMs: number, now: () => number = Date.now) {
  let windowStart = now();
  let seen = new Map<string, number>();
  return function logSampled(reason: string, key: string, fields: Record<string, unknown>, msg: string): boolean {
    const t = now();
    if (t - windowStart >= intervalMs) {
      windowStart = t;
      seen = new Map();
    }
    const k = `${reason}|${key}`;
    const n = seen.get(k);
    if (n !== undefined) {
      seen.set(k, n + 1);
      return false;
    }
    if (seen.size >= 10_000) return false; // one interval's worth of distinct keys is plenty
    seen.set(k, 0);
    logger.warn({ ...fields, reason }, msg);
    return true;
  };
}
