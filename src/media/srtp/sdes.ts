// SDES, RFC 4568: the a=crypto attribute that carries SRTP master keys in
// SDP. Parsing is strict and returns a reason fit for a 488 (Not Acceptable
// Here) on anything we cannot honour; generating uses fresh CSPRNG keys.
//
//   a=crypto:<tag> <suite> inline:<base64 key||salt>[|<lifetime>][|<mki>:<len>][;inline:...] [<session params>]
import { randomBytes } from 'node:crypto';
import { suite as suiteOf, suiteByName } from './suites.js';
import type { Suite, SuiteName } from './types.js';

export type SdesRefusal =
  | 'syntax'
  | 'bad_tag'
  | 'unknown_suite'
  | 'bad_key_method'
  | 'bad_base64'
  | 'bad_key_length'
  | 'bad_lifetime'
  | 'bad_mki'
  | 'mki_not_allowed'
  | 'multiple_keys_without_mki'
  | 'unsupported_session_param';

export interface SdesKey {
  readonly key: Buffer;
  readonly salt: Buffer;
  /** packets this master key may protect (RFC 4568 §6.1), when given */
  readonly lifetime?: number;
  /** master key identifier and its length in bytes, when given (§6.1) */
  readonly mki?: { readonly value: number; readonly length: number };
}

export interface SdesCrypto {
  readonly tag: number;
  readonly suite: Suite;
  /** one or more key-params, in the order offered */
  readonly keys: readonly SdesKey[];
  /** session parameters we accepted (e.g. WSH=128), verbatim */
  readonly sessionParams: readonly string[];
}

export type SdesParseResult =
  | { readonly ok: true; readonly crypto: SdesCrypto }
  | { readonly ok: false; readonly reason: SdesRefusal; readonly detail: string };

export interface SdesParseOptions {
  /** accept key-params carrying an MKI (default false: refused, 488) */
  readonly allowMki?: boolean;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** SRTP's index is 48 bits: no key can outlive 2^48 packets (RFC 3711 §9.2). */
const MAX_LIFETIME = 2 ** 48;

const fail = (reason: SdesRefusal, detail: string): SdesParseResult => ({ ok: false, reason, detail });

/**
 * Parse one crypto attribute: "a=crypto:…", "crypto:…" or just its value.
 * Never throws on input.
 */
export function parseCrypto(attribute: string, options: SdesParseOptions = {}): SdesParseResult {
  let text = attribute.trim();
  if (text.startsWith('a=')) text = text.slice(2);
  if (text.toLowerCase().startsWith('crypto:')) text = text.slice(7);
  const fields = text.split(/[ \t]+/);
  const [tagText, suiteText, keyParamsText, ...sessionParams] = fields;
  if (tagText === undefined || suiteText === undefined || keyParamsText === undefined) {
    return fail('syntax', 'expected "<tag> <crypto-suite> <key-params>"');
  }
  if (!/^[0-9]{1,9}$/.test(tagText)) return fail('bad_tag', `tag "${tagText}" is not 1-9 digits`);
  const suite = suiteByName(suiteText);
  if (suite === undefined) return fail('unknown_suite', `crypto-suite "${suiteText}" is not supported`);

  const keys: SdesKey[] = [];
  for (const kp of keyParamsText.split(';')) {
    const k = parseKeyParam(kp, suite, options);
    if ('reason' in k) return k;
    keys.push(k);
  }
  // §6.1: with several master keys the receiver can only tell them apart by MKI
  if (keys.length > 1 && keys.some((k) => k.mki === undefined)) {
    return fail('multiple_keys_without_mki', 'several key-params need an MKI each');
  }
  for (const p of sessionParams) {
    const r = checkSessionParam(p);
    if (r !== undefined) return r;
  }
  return { ok: true, crypto: { tag: Number(tagText), suite, keys, sessionParams } };
}

function parseKeyParam(kp: string, suite: Suite, options: SdesParseOptions): SdesKey | SdesParseResult & { ok: false } {
  const colon = kp.indexOf(':');
  if (colon < 0 || kp.slice(0, colon).toLowerCase() !== 'inline') {
    return { ok: false, reason: 'bad_key_method', detail: 'only the "inline" key method exists for SRTP' };
  }
  const [b64, ...rest] = kp.slice(colon + 1).split('|');
  if (b64 === undefined || !BASE64.test(b64) || b64.length % 4 === 1 || (b64.includes('=') && b64.length % 4 !== 0)) {
    return { ok: false, reason: 'bad_base64', detail: 'key||salt is not valid base64' };
  }
  const raw = Buffer.from(b64, 'base64');
  const want = suite.keyLength + suite.saltLength;
  if (raw.length !== want) {
    return { ok: false, reason: 'bad_key_length', detail: `${suite.name} needs ${want} bytes of key||salt, got ${raw.length}` };
  }
  let lifetime: number | undefined;
  let mki: SdesKey['mki'];
  if (rest.length > 2) return { ok: false, reason: 'syntax', detail: 'too many "|" fields in key-info' };
  for (const field of rest) {
    // §9.1: the MKI field is the one with a colon; lifetime never has one
    if (field.includes(':')) {
      if (mki !== undefined) return { ok: false, reason: 'syntax', detail: 'two MKI fields' };
      const m = /^([0-9]{1,20}):([0-9]{1,3})$/.exec(field);
      const length = m === null ? NaN : Number(m[2]);
      const value = m === null ? NaN : Number(m[1]);
      if (!(length >= 1 && length <= 128) || !Number.isSafeInteger(value) || (length < 7 && value >= 2 ** (8 * length))) {
        return { ok: false, reason: 'bad_mki', detail: `MKI "${field}" is not value:length(1-128)` };
      }
      if (options.allowMki !== true) return { ok: false, reason: 'mki_not_allowed', detail: 'MKI is not enabled' };
      mki = { value, length };
    } else {
      if (lifetime !== undefined || mki !== undefined) {
        return { ok: false, reason: 'syntax', detail: 'lifetime must come before the MKI, once' };
      }
      const l = parseLifetime(field);
      if (l === undefined) return { ok: false, reason: 'bad_lifetime', detail: `lifetime "${field}" is not N or 2^N up to 2^48` };
      lifetime = l;
    }
  }
  const key = Buffer.from(raw.subarray(0, suite.keyLength));
  const salt = Buffer.from(raw.subarray(suite.keyLength));
  return { key, salt, ...(lifetime !== undefined ? { lifetime } : {}), ...(mki !== undefined ? { mki } : {}) };
}

/** "1048576" or "2^20"; at least 1, at most 2^48. */
export function parseLifetime(text: string): number | undefined {
  const pow = /^2\^([0-9]{1,2})$/.exec(text);
  const n = pow !== null ? 2 ** Number(pow[1]) : /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
  return n >= 1 && n <= MAX_LIFETIME ? n : undefined;
}

/**
 * §6.3: KDR (a non-zero key derivation rate), UNENCRYPTED_SRTP/SRTCP,
 * UNAUTHENTICATED_SRTP, FEC_ORDER other than the default, and FEC_KEY change
 * what the transform does, and we do not do them: refuse. WSH is a hint
 * (our window is at least the 64 it requires); unknown parameters are
 * refused unless marked optional with a leading "-".
 */
function checkSessionParam(p: string): SdesParseResult | undefined {
  if (p === '') return undefined;
  if (/^WSH=[0-9]{1,10}$/.test(p) && Number(p.slice(4)) >= 64) return undefined;
  if (p === 'FEC_ORDER=FEC_SRTP') return undefined;
  if (p.startsWith('-')) return undefined;
  return fail('unsupported_session_param', `session parameter "${p}" is not supported`);
}

export interface GeneratedCrypto {
  /** the attribute line, "a=crypto:<tag> <suite> inline:<base64>" */
  readonly line: string;
  readonly crypto: SdesCrypto;
}

/** Our own master key and salt from the CSPRNG, as an a=crypto attribute. */
export function generateCrypto(tag: number, name: SuiteName): GeneratedCrypto {
  if (!Number.isInteger(tag) || tag < 0 || tag > 999_999_999) throw new RangeError('tag must be 0..999999999');
  const suite = suiteOf(name);
  const raw = randomBytes(suite.keyLength + suite.saltLength);
  const crypto: SdesCrypto = {
    tag, suite,
    keys: [{ key: raw.subarray(0, suite.keyLength), salt: raw.subarray(suite.keyLength) }],
    sessionParams: [],
  };
  return { line: formatCrypto(crypto), crypto };
}

/** The a=crypto line for a parsed or generated attribute. */
export function formatCrypto(c: SdesCrypto): string {
  const kps = c.keys.map((k) => {
    let s = `inline:${Buffer.concat([k.key, k.salt]).toString('base64')}`;
    if (k.lifetime !== undefined) s += `|${formatLifetime(k.lifetime)}`;
    if (k.mki !== undefined) s += `|${k.mki.value}:${k.mki.length}`;
    return s;
  });
  return [`a=crypto:${c.tag}`, c.suite.name, kps.join(';'), ...c.sessionParams].join(' ');
}

function formatLifetime(n: number): string {
  const log = Math.log2(n);
  return Number.isInteger(log) ? `2^${log}` : String(n);
}
