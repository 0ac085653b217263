// Loading: read YAML, apply PALISADE_* environment overrides, validate against the
// schema, and report every problem with its key path and, when it came from the
// file, its line. Synchronous on purpose: it runs once at startup and on SIGHUP,
// and a caller can then swap a whole validated config in one step.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document, type Node } from 'yaml';
import { configSchema, type PalisadeConfig } from './schema.js';
import { formatPath, type ConfigError, type PathSegment } from './errors.js';
import { applyOverride, readEnvOverrides } from './env.js';
import { issueToErrors } from './issues.js';
import { crossChecks } from './checks.js';
import { defaultConfigFile } from './paths.js';
import { objectShape, unwrap, arrayElement } from './walk.js';

export interface LoadOptions {
  /** Config file; else PALISADE_CONFIG from env; else the embedded config/default.yaml. */
  readonly file?: string;
  /** Source of PALISADE_* overrides; defaults to process.env. Pass {} to ignore the environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export type LoadResult =
  | { readonly ok: true; readonly config: PalisadeConfig; /** the file read, when one was named (not the embedded default) */ readonly file?: string }
  | { readonly ok: false; readonly errors: ConfigError[]; readonly file?: string };

export function loadConfig(opts: LoadOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  const named = opts.file ?? (env.PALISADE_CONFIG !== undefined && env.PALISADE_CONFIG !== '' ? env.PALISADE_CONFIG : undefined);
  const path = named ?? defaultConfigFile();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return fail([{ path: '', message: `cannot read ${path}: ${err.code ?? err.message}` }], named);
  }
  return loadConfigText(text, { env, ...(named !== undefined ? { file: named } : {}) });
}

/** Same as loadConfig for YAML already in memory (tests, an admin API). */
export function loadConfigText(text: string, opts: LoadOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  const file = opts.file;
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: `YAML syntax error: ${(e.message.split('\n')[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, '')}`, ...(pos !== undefined ? { line: pos.line, column: pos.col } : {}) };
      }),
      file,
    );
  }
  // toJS caps alias expansion (maxAliasCount), so a "billion laughs" file fails instead of eating memory.
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    return fail([{ path: '', message: `YAML error: ${(e as Error).message}` }], file);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return fail([{ path: '', message: `expected a mapping of settings at the top level, found ${Array.isArray(raw) ? 'a list' : typeof raw}`, line: 1, column: 1 }], file);
  }
  const rawObj = raw as Record<string, unknown>;

  const errors: ConfigError[] = [];
  const envResult = readEnvOverrides(configSchema, env);
  errors.push(...envResult.errors);
  const fromEnv = new Map<string, string>();
  for (const o of envResult.overrides) {
    const err = applyOverride(rawObj, o);
    if (err !== undefined) errors.push(err);
    else fromEnv.set(formatPath(o.path), o.envVar);
  }

  const parsed = configSchema.safeParse(rawObj);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const e of issueToErrors(issue, rawObj, knownKeysAt)) errors.push(locate(e, issue.path as PathSegment[], doc, lines, fromEnv, issue.code === 'unrecognized_keys'));
    }
  } else if (errors.length === 0) {
    errors.push(...crossChecks(parsed.data).map((e) => locateByPath(e, doc, lines, fromEnv)));
  }
  if (errors.length > 0 || !parsed.success) return fail(errors, file);
  return file !== undefined ? { ok: true, config: parsed.data, file } : { ok: true, config: parsed.data };
}

function fail(errors: ConfigError[], file: string | undefined): LoadResult {
  return file !== undefined ? { ok: false, errors, file } : { ok: false, errors };
}

/** The keys the schema allows at an object path, for "did you mean" hints. */
function knownKeysAt(path: readonly PathSegment[]): string[] {
  let s = configSchema as unknown as Parameters<typeof unwrap>[0];
  for (const seg of path) {
    const base = unwrap(s).base;
    const next = typeof seg === 'number' ? arrayElement(base) : objectShape(base)?.[seg];
    if (next === undefined) return [];
    s = next;
  }
  return Object.keys(objectShape(unwrap(s).base) ?? {});
}

/** Attaches the environment variable or the YAML line a value came from. */
function locate(e: ConfigError, issuePath: PathSegment[], doc: Document, lines: LineCounter, fromEnv: Map<string, string>, unknownKey: boolean): ConfigError {
  const envVar = envFor(e.path, fromEnv);
  if (envVar !== undefined) return { ...e, envVar };
  let node: unknown = doc.getIn(issuePath, true);
  if (unknownKey) {
    // Point at the offending key itself, not at its parent mapping.
    const key = e.path.slice(e.path.lastIndexOf('.') + 1);
    if (isMap(node)) node = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === key)?.key;
  }
  return withLine(e, node, lines);
}

function locateByPath(e: ConfigError, doc: Document, lines: LineCounter, fromEnv: Map<string, string>): ConfigError {
  const envVar = envFor(e.path, fromEnv);
  if (envVar !== undefined) return { ...e, envVar };
  const segs: PathSegment[] = [];
  for (const m of e.path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segs.push(m[2] !== undefined ? Number(m[2]) : (m[1] as string));
  return withLine(e, doc.getIn(segs, true), lines);
}

function envFor(path: string, fromEnv: Map<string, string>): string | undefined {
  for (const [p, v] of fromEnv) if (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)) return v;
  return undefined;
}

function withLine(e: ConfigError, node: unknown, lines: LineCounter): ConfigError {
  const range = (node as Node | undefined)?.range;
  if (range === undefined || range === null) return e;
  const pos = lines.linePos(range[0]);
  return { ...e, line: pos.line, column: pos.col };
}
