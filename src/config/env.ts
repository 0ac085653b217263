// Environment overrides: PALISADE_HTTP__PORT=9091 sets http.port. Segments are
// separated by `__` and matched case-insensitively against the schema's camelCase
// keys, ignoring single underscores (so PALISADE_TRANSPORT__MAX_CONNECTIONS works
// too). Values are coerced to the type the schema expects at that path, so the
// override is validated exactly like the same value written in YAML.
import type { z } from 'zod';
import { arrayElement, objectShape, unwrap } from './walk.js';
import { formatPath, type ConfigError, type PathSegment } from './errors.js';

export const ENV_PREFIX = 'PALISADE_';
/** Variables with the prefix that are not config keys. */
export const RESERVED_ENV: readonly string[] = ['PALISADE_CONFIG'];

export interface EnvOverride {
  readonly envVar: string;
  readonly path: readonly PathSegment[];
  readonly value: unknown;
}

export interface EnvResult {
  readonly overrides: EnvOverride[];
  readonly errors: ConfigError[];
}

type Raw = Record<string, unknown>;

/** Turns PALISADE_* variables into typed overrides, or errors naming the variable. */
export function readEnvOverrides(schema: z.ZodType, env: NodeJS.ProcessEnv): EnvResult {
  const overrides: EnvOverride[] = [];
  const errors: ConfigError[] = [];
  const names = Object.keys(env)
    .filter((k) => k.startsWith(ENV_PREFIX) && !RESERVED_ENV.includes(k))
    // Shallow paths first so PALISADE_HTTP='{…}' is applied before PALISADE_HTTP__PORT refines it.
    .sort((a, b) => a.split('__').length - b.split('__').length || a.localeCompare(b));
  for (const envVar of names) {
    const value = env[envVar];
    if (value === undefined) continue;
    const segments = envVar.slice(ENV_PREFIX.length).split('__');
    const r = resolvePath(schema, segments);
    if (!r.ok) {
      errors.push({ path: formatPath(r.path), message: r.message, envVar });
      continue;
    }
    const c = coerce(r.schema, value);
    if (!c.ok) {
      errors.push({ path: formatPath(r.path), message: c.message, envVar });
      continue;
    }
    overrides.push({ envVar, path: r.path, value: c.value });
  }
  return { overrides, errors };
}

type Resolved = { ok: true; path: PathSegment[]; schema: z.ZodType } | { ok: false; path: PathSegment[]; message: string };

function resolvePath(schema: z.ZodType, segments: readonly string[]): Resolved {
  const path: PathSegment[] = [];
  let s = schema;
  for (const seg of segments) {
    const base = unwrap(s).base;
    const shape = objectShape(base);
    const element = arrayElement(base);
    if (shape !== undefined) {
      const wanted = seg.toLowerCase().replaceAll('_', '');
      const key = Object.keys(shape).find((k) => k.toLowerCase() === wanted);
      const child = key === undefined ? undefined : shape[key];
      if (key === undefined || child === undefined) {
        path.push(seg.toLowerCase());
        return { ok: false, path, message: `unknown key "${seg.toLowerCase()}" (known here: ${Object.keys(shape).join(', ')})` };
      }
      path.push(key);
      s = child;
    } else if (element !== undefined && /^\d{1,4}$/.test(seg)) {
      path.push(Number(seg));
      s = element;
    } else {
      path.push(seg.toLowerCase());
      return { ok: false, path, message: `unknown key "${seg.toLowerCase()}": ${formatPath(path.slice(0, -1))} has no sub-keys` };
    }
  }
  if (segments.length === 0 || segments[0] === '') return { ok: false, path, message: 'empty key' };
  return { ok: true, path, schema: s };
}

type Coerced = { ok: true; value: unknown } | { ok: false; message: string };

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function coerce(schema: z.ZodType, raw: string): Coerced {
  const kind = unwrap(schema).kind;
  const shown = JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw);
  switch (kind) {
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: `expected a number, found ${shown}` };
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (TRUE.has(v)) return { ok: true, value: true };
      if (FALSE.has(v)) return { ok: true, value: false };
      return { ok: false, message: `expected a boolean (true/false, 1/0, yes/no, on/off), found ${shown}` };
    }
    case 'string':
    case 'enum':
      return { ok: true, value: raw };
    case 'array':
    case 'object':
    default:
      try {
        return { ok: true, value: JSON.parse(raw) as unknown };
      } catch (e) {
        return { ok: false, message: `expected JSON (${kind}), found ${shown}: ${(e as Error).message}` };
      }
  }
}

/**
 * Writes an override into the raw (pre-validation) document, creating the objects
 * on the way. An array index may address an existing element or append one.
 */
export function applyOverride(raw: Raw, o: EnvOverride): ConfigError | undefined {
  let node: unknown = raw;
  for (let i = 0; i < o.path.length; i++) {
    const seg = o.path[i] as PathSegment;
    const last = i === o.path.length - 1;
    const nextIsIndex = typeof o.path[i + 1] === 'number';
    if (typeof seg === 'number') {
      if (!Array.isArray(node) || seg > node.length) {
        return { path: formatPath(o.path.slice(0, i + 1)), message: `no element ${seg} to override (the list has ${Array.isArray(node) ? node.length : 0})`, envVar: o.envVar };
      }
      if (last) node[seg] = o.value;
      else node = node[seg] ??= {};
    } else {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) {
        return { path: formatPath(o.path.slice(0, i)), message: 'cannot override a key inside a value that is not a mapping', envVar: o.envVar };
      }
      const obj = node as Raw;
      if (last) obj[seg] = o.value;
      else node = obj[seg] ??= nextIsIndex ? [] : {};
    }
  }
  return undefined;
}
