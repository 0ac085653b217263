// Toll-fraud rules: the dialled number normalized to E.164, then the most specific
// rule wins. Rules are a trunk's deny and allow prefixes and the default deny list;
// on equal length a trunk's own rule beats the default list, and a trunk's deny
// beats its allow. With a non-empty allow list, a number no rule matches is refused.

import type { PalisadeConfig } from '../config/schema.js';
import { DEFAULT_DENY } from './premium.js';

export interface Dialplan {
  countryCode: string | undefined;
  nationalPrefix: string;
  internationalPrefix: string;
}

type RuleKind = 'deny' | 'allow' | 'default_deny';
// Higher wins on equal prefix length.
const RANK: Record<RuleKind, number> = { deny: 3, allow: 2, default_deny: 1 };

export interface DestinationPolicy {
  readonly dialplan: Dialplan;
  /** the rule that decided, or undefined when none matched and no allow list exists */
  /**
   * e164 false (a short code or a number the dialplan cannot place): only the trunk's own
   * rules apply, since the default list speaks E.164 and would misread "53" or "252".
   */
  decide(num: string, e164: boolean): { allowed: boolean; rule: RuleKind | 'not_in_allow_list' | undefined; prefix?: string };
}

export type Normalized = { number: string; e164: boolean } | undefined;

const VISUAL = /[-.()\s]/g;
/** Shorter national numbers are treated as short codes or extensions. */
export const MIN_NATIONAL_DIGITS = 7;

/**
 * The Request-URI user as digits: E.164 (without '+') when the dialplan says how,
 * otherwise the digits as dialled (e164: false). Undefined for a non-numeric user
 * (sip:alice@…), which no prefix rule can be about.
 */
export function normalizeNumber(raw: string, plan: Dialplan): Normalized {
  let s = raw;
  // tel-in-sip users carry parameters after ';' (RFC 3966 §5.1.4: phone-context and friends).
  const semi = s.indexOf(';');
  if (semi >= 0) s = s.slice(0, semi);
  if (s.includes('%')) {
    try {
      s = decodeURIComponent(s);
    } catch {
      return undefined;
    }
  }
  s = s.replace(VISUAL, '');
  if (s.startsWith('+')) {
    const d = s.slice(1);
    return /^[0-9]{1,15}$/.test(d) ? { number: d, e164: true } : undefined;
  }
  if (!/^[0-9]{1,32}$/.test(s)) return undefined;
  const intl = plan.internationalPrefix;
  if (intl.length > 0 && s.startsWith(intl)) return { number: s.slice(intl.length), e164: true };
  if (plan.countryCode === undefined) return { number: s, e164: false };
  const nat = plan.nationalPrefix;
  const nsn = nat.length > 0 && s.startsWith(nat) ? s.slice(nat.length) : s;
  // Short codes (999, 112, 4-digit extensions) are no national number: prefixing them with the
  // country code would turn 999 in the UK into +44 999…, a premium range. They stay as dialled.
  if (nsn.length < MIN_NATIONAL_DIGITS) return { number: s, e164: false };
  // Without a trunk prefix the number is taken as national significant (NANP dials 10 digits).
  return { number: plan.countryCode + nsn, e164: true };
}

const strip = (p: string): string => (p.startsWith('+') ? p.slice(1) : p);

export function createDestinationPolicy(config: PalisadeConfig, trunk: PalisadeConfig['trunks'][number] | undefined): DestinationPolicy {
  const g = config.security.destinations;
  const t = trunk?.destinations;
  const dialplan: Dialplan = {
    countryCode: t?.countryCode ?? g.countryCode,
    nationalPrefix: t?.nationalPrefix ?? g.nationalPrefix,
    internationalPrefix: t?.internationalPrefix ?? g.internationalPrefix,
  };
  const rules = new Map<string, RuleKind>();
  const add = (prefix: string, kind: RuleKind): void => {
    const p = strip(prefix);
    const old = rules.get(p);
    if (old === undefined || RANK[kind] > RANK[old]) rules.set(p, kind);
  };
  if (t?.defaultDeny ?? g.defaultDeny) for (const d of DEFAULT_DENY) add(d.prefix, 'default_deny');
  for (const p of g.deny) add(p, 'default_deny');
  for (const p of t?.allow ?? []) add(p, 'allow');
  for (const p of t?.deny ?? []) add(p, 'deny');
  const hasAllow = (t?.allow.length ?? 0) > 0;
  let longest = 0;
  for (const p of rules.keys()) longest = Math.max(longest, p.length);

  return {
    dialplan,
    decide(num, e164) {
      // Longest first: at most 15 Map look-ups, whatever the number of rules.
      for (let len = Math.min(longest, num.length); len > 0; len--) {
        const p = num.slice(0, len);
        const kind = rules.get(p);
        if (kind === undefined || (kind === 'default_deny' && !e164)) continue;
        return { allowed: kind === 'allow', rule: kind, prefix: p };
      }
      return hasAllow ? { allowed: false, rule: 'not_in_allow_list' } : { allowed: true, rule: undefined };
    },
  };
}
