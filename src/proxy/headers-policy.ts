// Which headers may cross from one realm to the other. Everything that names a
// host, a product or an internal decision is stripped by default; the operator can
// keep some, and set others, per direction.
import type { PalisadeConfig, RealmName } from '../config/schema.js';
import { canonicalName, type SipMessage } from '../sip/index.js';

export interface HeaderPolicy {
  /** Apply the rules for messages sent to `to`. */
  apply(msg: SipMessage, to: RealmName): void;
}

interface Rules {
  exact: Set<string>;
  prefixes: string[];
  keep: Set<string>;
  add: Array<[string, string]>;
}

export function createHeaderPolicy(cfg: PalisadeConfig['topology'], alwaysStrip: readonly string[] = []): HeaderPolicy {
  const compile = (strip: readonly string[], keep: readonly string[], add: ReadonlyArray<{ name: string; value: string }>): Rules => {
    const exact = new Set<string>();
    const prefixes: string[] = [];
    for (const s of [...strip, ...alwaysStrip]) {
      if (s.endsWith('*')) prefixes.push(s.slice(0, -1).toLowerCase());
      else exact.add(canonicalName(s));
    }
    return { exact, prefixes, keep: new Set(keep.map(canonicalName)), add: add.map((a) => [a.name, a.value]) };
  };
  const rules: Record<RealmName, Rules> = {
    external: compile(cfg.strip.toExternal, cfg.keep.toExternal, cfg.add.toExternal),
    internal: compile(cfg.strip.toInternal, cfg.keep.toInternal, cfg.add.toInternal),
  };

  return {
    apply(msg, to) {
      const r = rules[to];
      let doomed: Set<string> | undefined;
      for (const [written] of msg.headerEntries()) {
        const name = canonicalName(written);
        if (r.keep.has(name)) continue;
        if (r.exact.has(name) || r.prefixes.some((p) => name.startsWith(p))) (doomed ??= new Set()).add(name);
      }
      if (doomed) for (const name of doomed) msg.removeHeader(name);
      for (const [name, value] of r.add) msg.setHeader(name, value);
    },
  };
}
