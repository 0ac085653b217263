// Scanner fingerprints. Two kinds: the tools' own User-Agent (and From display
// name) strings, and behaviour: one source probing many different users without
// ever presenting credentials, which is what an extension scan looks like whatever
// the tool calls itself. Either way the answer is silence and a ban: a scanner
// that gets no reply learns nothing.

import type { SipMessage } from '../sip/message.js';

/**
 * Lower-case substrings of User-Agent values of SIP scanning and cracking tools.
 * Kept to names no legitimate product uses (checked against common PBX/phone UAs).
 */
export const SCANNER_USER_AGENTS: readonly string[] = [
  'friendly-scanner', // SIPVicious' long-time default
  'friendly-request',
  'sipvicious',
  'svwar', // SIPVicious extension scanner
  'svmap', // SIPVicious host mapper
  'svcrack', // SIPVicious password cracker
  'sipsak', // diagnostic tool, common in scans; operators using it can ignore it
  'sipscan',
  'sip-scan',
  'sipcli',
  'sundayddr',
  'iwar',
  'vaxsipuseragent',
  'vaxipuseragent',
  'pplsip',
  'gulp',
  'sivus',
  'siparmyknife',
  'sip-auditor',
  'smap ', // smap followed by its version
];

export interface ScannerOptions {
  extraUserAgents: readonly string[];
  ignoreUserAgents: readonly string[];
  maxDistinctUsers: number;
  windowMs: number;
  methods: readonly string[];
  maxSources: number;
  now: () => number;
}

export interface ScannerDetector {
  /** The matching fingerprint, or undefined. */
  userAgent(msg: SipMessage): string | undefined;
  /**
   * Records an out-of-dialog request without credentials; true when this source has
   * now probed more than maxDistinctUsers users within the window.
   */
  probe(source: string, msg: SipMessage): boolean;
  /** A source that authenticated is a PBX, not a scanner: stop counting it for a window. */
  trusted(source: string): void;
}

interface Probe {
  start: number;
  users: Set<string>;
  /** set by a successful authentication: not counted until the window ends */
  trusted: boolean;
}

export function createScannerDetector(o: ScannerOptions): ScannerDetector {
  const ignore = new Set(o.ignoreUserAgents.map((s) => s.toLowerCase()));
  const patterns = [...SCANNER_USER_AGENTS, ...o.extraUserAgents.map((s) => s.toLowerCase())].filter((p) => !ignore.has(p));
  const methods = new Set(o.methods);
  const probes = new Map<string, Probe>();

  // Substring search, no regex: the User-Agent is attacker text and this runs per request.
  function match(text: string | undefined): string | undefined {
    if (text === undefined || text.length === 0) return undefined;
    const lower = text.toLowerCase();
    for (const p of patterns) if (lower.includes(p)) return p.trim();
    return undefined;
  }

  function entry(source: string, t: number): Probe {
    let p = probes.get(source);
    if (p !== undefined && t - p.start > o.windowMs) {
      probes.delete(source);
      p = undefined;
    }
    if (p === undefined) {
      if (probes.size >= o.maxSources) {
        // Oldest first; a windowed count lost to eviction only delays a ban.
        const oldest = probes.keys().next();
        if (oldest.done !== true) probes.delete(oldest.value);
      }
      p = { start: t, users: new Set(), trusted: false };
      probes.set(source, p);
    }
    return p;
  }

  return {
    userAgent(msg) {
      return match(msg.header('user-agent')) ?? match(msg.from()?.displayName);
    },
    probe(source, msg) {
      if (!methods.has(msg.method)) return false;
      const p = entry(source, o.now());
      if (p.trusted) return false;
      const user = msg.to()?.uri?.user ?? '';
      // The set never holds more than the threshold plus one: memory per source is bounded.
      if (p.users.size <= o.maxDistinctUsers) p.users.add(user);
      return p.users.size > o.maxDistinctUsers;
    },
    trusted(source) {
      entry(source, o.now()).trusted = true;
    },
  };
}
