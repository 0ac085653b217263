// IP addresses as bits, and a binary trie over them for longest-prefix matching
// (trunk identification). A look-up walks at most 32 (IPv4) or 128 (IPv6) nodes,
// whatever the number of trunks: O(prefix length), never a scan of the ACL.

export type Family = 4 | 6;

export interface ParsedAddress {
  family: Family;
  /** 4 or 16 bytes, network order */
  bytes: Uint8Array;
}

interface Node<T> {
  zero: Node<T> | undefined;
  one: Node<T> | undefined;
  /** entries whose prefix ends exactly here */
  values: T[] | undefined;
}

export interface CidrTrie<T> {
  insert(cidr: string, value: T): void;
  /**
   * Values along the path of `address`, deepest (longest prefix) last; `accept` filters
   * them and the deepest accepted wins. Undefined when nothing matches.
   */
  lookup(address: string, accept?: (v: T) => boolean): T | undefined;
  readonly size: number;
}

/** Parses IPv4 dotted quads and IPv6 (with ::, embedded IPv4, %zone); undefined if malformed. */
export function parseAddress(s: string): ParsedAddress | undefined {
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.includes(':')) {
    const b = parseV6(s);
    if (b === undefined) return undefined;
    // An IPv4-mapped IPv6 address is the IPv4 host: trunks are configured with dotted quads.
    if (isV4Mapped(b)) return { family: 4, bytes: b.slice(12) };
    return { family: 6, bytes: b };
  }
  const b = parseV4(s);
  return b === undefined ? undefined : { family: 4, bytes: b };
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  const groups: number[] = [];
  const all = [...hs, ...ts];
  const words: number[] = [];
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (g.includes('.')) {
      // Embedded IPv4 only as the very last group.
      if (i !== all.length - 1) return undefined;
      const v4 = parseV4(g);
      if (v4 === undefined) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    words.push(parseInt(g, 16));
  }
  const headWords = hs.length + (hs.length > 0 && hs[hs.length - 1]!.includes('.') ? 1 : 0);
  if (dbl < 0) {
    if (words.length !== 8) return undefined;
    groups.push(...words);
  } else {
    if (words.length > 7) return undefined;
    groups.push(...words.slice(0, headWords), ...new Array<number>(8 - words.length).fill(0), ...words.slice(headWords));
  }
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Parses "addr" or "addr/len"; a bare address is a host route (/32, /128). */
export function parseCidr(s: string): { family: Family; bytes: Uint8Array; bits: number } | undefined {
  const slash = s.indexOf('/');
  const a = parseAddress(slash < 0 ? s : s.slice(0, slash));
  if (a === undefined) return undefined;
  const max = a.family === 4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const t = s.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(t)) return undefined;
    bits = Number(t);
    // "::ffff:10.0.0.0/104" means 10.0.0.0/8 once unmapped.
    if (a.family === 4 && s.slice(0, slash).includes(':')) bits -= 96;
    if (bits < 0 || bits > max) return undefined;
  }
  return { family: a.family, bytes: a.bytes, bits };
}

function bit(bytes: Uint8Array, i: number): number {
  return (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
}

const newNode = <T>(): Node<T> => ({ zero: undefined, one: undefined, values: undefined });

export function createCidrTrie<T>(): CidrTrie<T> {
  const roots: Record<Family, Node<T>> = { 4: newNode<T>(), 6: newNode<T>() };
  let size = 0;
  return {
    insert(cidr, value) {
      const c = parseCidr(cidr);
      // Config validation already refused bad blocks; reaching here is a programmer error.
      if (c === undefined) throw new RangeError(`not a CIDR block: ${cidr}`);
      let n = roots[c.family];
      for (let i = 0; i < c.bits; i++) {
        if (bit(c.bytes, i) === 0) n = n.zero ??= newNode<T>();
        else n = n.one ??= newNode<T>();
      }
      (n.values ??= []).push(value);
      size++;
    },
    lookup(address, accept) {
      if (size === 0) return undefined;
      const a = parseAddress(address);
      if (a === undefined) return undefined;
      const max = a.family === 4 ? 32 : 128;
      let n: Node<T> | undefined = roots[a.family];
      let best: T | undefined;
      for (let i = 0; n !== undefined; i++) {
        if (n.values !== undefined) {
          for (const v of n.values) {
            if (accept === undefined || accept(v)) {
              best = v;
              break;
            }
          }
        }
        if (i >= max) break;
        n = bit(a.bytes, i) === 0 ? n.zero : n.one;
      }
      return best;
    },
    get size() {
      return size;
    },
  };
}
