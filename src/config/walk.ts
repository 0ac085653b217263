// A small, read-only view of zod 4 schema internals, shared by the environment
// override coercion (which needs the type at a path) and the documentation
// generator (which needs types, defaults and descriptions of every key). Kept in
// one file so a zod upgrade that moves `_zod.def` breaks one place.
import type { z } from 'zod';

type Schema = z.ZodType;

/** The parts of a zod 4 definition we read; every field is optional because defs differ by type. */
interface LooseDef {
  readonly type: string;
  readonly innerType?: Schema;
  readonly shape?: Record<string, Schema>;
  readonly element?: Schema;
  readonly entries?: Record<string, string | number>;
  readonly values?: readonly unknown[];
  readonly options?: readonly Schema[];
  readonly in?: Schema;
  readonly defaultValue?: unknown;
  readonly checks?: readonly unknown[];
}

/** A schema with its wrappers (default, prefault, optional, …) peeled off. */
export interface Unwrapped {
  readonly base: Schema;
  readonly kind: string;
  readonly optional: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly description: string | undefined;
}

export function defOf(s: Schema): LooseDef {
  return (s as unknown as { _zod: { def: LooseDef } })._zod.def;
}

function descriptionOf(s: Schema): string | undefined {
  const d = (s as unknown as { description?: unknown }).description;
  return typeof d === 'string' ? d : undefined;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

export function unwrap(schema: Schema): Unwrapped {
  let s = schema;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  // The outermost description wins: `.default(x).describe(d)` and `.describe(d).default(x)` both occur.
  let description = descriptionOf(s);
  for (;;) {
    const def = defOf(s);
    if (def.type === 'pipe' && def.in !== undefined) {
      s = def.in;
    } else if (WRAPPERS.has(def.type) && def.innerType !== undefined) {
      if (def.type === 'optional') optional = true;
      // A prefault ({}) on an object means "fill from the leaves' defaults": it is not a value to show.
      if (def.type === 'default' && !hasDefault) {
        hasDefault = true;
        defaultValue = typeof def.defaultValue === 'function' ? (def.defaultValue as () => unknown)() : def.defaultValue;
      }
      if (def.type === 'prefault') hasDefault = true;
      s = def.innerType;
    } else {
      break;
    }
    description ??= descriptionOf(s);
  }
  return { base: s, kind: defOf(s).type, optional, hasDefault, defaultValue, description };
}

export function objectShape(s: Schema): Record<string, Schema> | undefined {
  const def = defOf(s);
  return def.type === 'object' ? def.shape : undefined;
}

export function arrayElement(s: Schema): Schema | undefined {
  const def = defOf(s);
  return def.type === 'array' ? def.element : undefined;
}

export function enumValues(s: Schema): string[] | undefined {
  const def = defOf(s);
  if (def.type === 'enum' && def.entries !== undefined) return Object.values(def.entries).map(String);
  if (def.type === 'literal' && def.values !== undefined) return def.values.map((v) => JSON.stringify(v));
  return undefined;
}

interface CheckDef {
  readonly check?: string;
  readonly value?: number;
  readonly inclusive?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: RegExp;
}

/** Markdown code span that survives backticks inside (CommonMark: a longer fence). */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = '`'.repeat(longest + 1);
  return longest === 0 ? `${fence}${text}${fence}` : `${fence} ${text} ${fence}`;
}

/** Bounds and patterns of a number or string, for documentation: `1–65535`, `> 0`, `1–64 chars`. */
export function constraintsOf(s: Schema): string[] {
  const checks = (defOf(s).checks ?? []).map((c) => (c as { _zod: { def: CheckDef } })._zod.def);
  let lo: string | undefined;
  let hi: string | undefined;
  let minLen: number | undefined;
  let maxLen: number | undefined;
  const out: string[] = [];
  for (const c of checks) {
    if (c.check === 'greater_than' && c.value !== undefined) lo = c.inclusive === true ? `${c.value}` : `> ${c.value}`;
    else if (c.check === 'less_than' && c.value !== undefined) hi = c.inclusive === true ? `${c.value}` : `< ${c.value}`;
    else if (c.check === 'min_length') minLen = c.minimum;
    else if (c.check === 'max_length') maxLen = c.maximum;
    else if (c.pattern instanceof RegExp) out.push(`matching ${code(c.pattern.source)}`);
  }
  // "> 0" reads as "positive"; a closed range as "a–b".
  if (lo === '> 0' && hi === undefined) out.unshift('> 0');
  else if (lo !== undefined && hi !== undefined && !lo.startsWith('>') && !hi.startsWith('<')) out.unshift(`${lo}–${hi}`);
  else {
    if (hi !== undefined) out.unshift(hi.startsWith('<') ? hi : `≤ ${hi}`);
    if (lo !== undefined) out.unshift(lo.startsWith('>') ? lo : `≥ ${lo}`);
  }
  if (minLen !== undefined && maxLen !== undefined) out.push(`${minLen}–${maxLen} chars`);
  else if (maxLen !== undefined) out.push(`≤ ${maxLen} chars`);
  else if (minLen === 1) out.push('non-empty');
  else if (minLen !== undefined) out.push(`≥ ${minLen} chars`);
  return out;
}

/** The name a reader knows a type by: `integer`, `string`, `"udp" | "tcp"`, `list of listener`, … */
export function typeName(s: Schema): string {
  const u = unwrap(s);
  const e = enumValues(u.base);
  if (e !== undefined) return e.map((v) => (v.startsWith('"') ? v : `\`${v}\``)).join(' | ');
  switch (u.kind) {
    case 'number':
      return (u.base as unknown as { isInt?: boolean }).isInt === true ? 'integer' : 'number';
    case 'array': {
      const el = arrayElement(u.base);
      return el === undefined ? 'list' : `list of ${typeName(el)}`;
    }
    case 'object':
      return 'object';
    default:
      return u.kind;
  }
}
