// Which carrier trunk a call from the softswitch leaves on. The softswitch can
// name the trunk in a header (it knows its own routing best); otherwise the
// Request-URI number is matched against each trunk's prefixes, longest first.
// Prefixes live in a trie so a lookup costs O(digits of the number), whatever
// the number of trunks or prefixes.

import type { Transport } from './types.js';

export interface TrunkTarget {
  readonly host: string;
  readonly port?: number;
  readonly transport: Transport;
  readonly secure: boolean;
}

export interface Trunk {
  readonly id: string;
  readonly target: TrunkTarget;
  /** Request-URI user prefixes such as "+1" or "0044"; "" matches every number (a default trunk) */
  readonly prefixes?: readonly string[];
}

export interface TrunkInput {
  /** the configured trunk header (e.g. X-Palisade-Trunk), already extracted by the core */
  readonly headerValue?: string;
  /** the Request-URI user part */
  readonly ruriUser?: string;
}

/** Why a trunk was or was not chosen, for the core's response code and the refusal metric. */
export type TrunkChoice =
  | { readonly trunk: Trunk; readonly by: 'header' | 'prefix' }
  | { readonly trunk: undefined; readonly reason: 'unknown-trunk' | 'no-route' };

export interface TrunkTable {
  route(input: TrunkInput): TrunkChoice;
  select(input: TrunkInput): Trunk | undefined;
  byId(id: string): Trunk | undefined;
}

interface Node {
  trunk: Trunk | undefined;
  readonly next: Map<string, Node>;
}

export function createTrunkTable(trunks: readonly Trunk[]): TrunkTable {
  const ids = new Map<string, Trunk>();
  const root: Node = { trunk: undefined, next: new Map() };
  for (const trunk of trunks) {
    if (ids.has(trunk.id)) throw new Error(`trunks: duplicate trunk id ${trunk.id}`);
    ids.set(trunk.id, trunk);
    for (const prefix of trunk.prefixes ?? []) {
      let node = root;
      for (const ch of normalizeNumber(prefix)) {
        let child = node.next.get(ch);
        if (!child) {
          child = { trunk: undefined, next: new Map() };
          node.next.set(ch, child);
        }
        node = child;
      }
      // The first trunk to claim a prefix keeps it: declaration order breaks ties.
      node.trunk ??= trunk;
    }
  }

  function longestPrefix(user: string): Trunk | undefined {
    let node: Node | undefined = root;
    let best = root.trunk;
    for (const ch of normalizeNumber(user)) {
      node = node.next.get(ch);
      if (!node) break;
      if (node.trunk) best = node.trunk;
    }
    return best;
  }

  function route(input: TrunkInput): TrunkChoice {
    const named = input.headerValue?.trim();
    if (named) {
      // A name we do not know is a softswitch misconfiguration: refuse rather than
      // guess from the number and send the call to a carrier nobody chose.
      const trunk = ids.get(named);
      return trunk ? { trunk, by: 'header' } : { trunk: undefined, reason: 'unknown-trunk' };
    }
    const trunk = input.ruriUser === undefined ? undefined : longestPrefix(input.ruriUser);
    return trunk ? { trunk, by: 'prefix' } : { trunk: undefined, reason: 'no-route' };
  }

  return {
    route,
    select: (input) => route(input).trunk,
    byId: (id) => ids.get(id),
  };
}

// Tables built for plain arrays, so selectTrunk(input, config.trunks) on every call
// pays for the trie once per configuration, not once per call. Config arrays are
// replaced, never mutated, on reload, and the WeakMap lets old ones go.
const tables = new WeakMap<readonly Trunk[], TrunkTable>();

/** The trunk for a call: the header's trunk when one is named, else the longest matching prefix. */
export function selectTrunk(input: TrunkInput, trunks: readonly Trunk[] | TrunkTable): Trunk | undefined {
  if (!Array.isArray(trunks)) return (trunks as TrunkTable).select(input);
  const list = trunks as readonly Trunk[];
  let table = tables.get(list);
  if (!table) {
    table = createTrunkTable(list);
    tables.set(list, table);
  }
  return table.select(input);
}

/**
 * The comparable form of a number or prefix: URI parameters (";npdi", ";rn=...")
 * and RFC 3966 visual separators dropped, and one leading "+" removed, so "+1",
 * "1" and "+1 (415)" all start the same way. The "+" carries no digits, and
 * softswitches disagree on whether they send it.
 */
export function normalizeNumber(value: string): string {
  const semi = value.indexOf(';');
  let s = (semi === -1 ? value : value.slice(0, semi)).trim();
  if (s.startsWith('+')) s = s.slice(1);
  return s.replace(/[-.()\s]/g, '');
}
