// Turns zod issues into ConfigErrors that say what was expected and what was found,
// in words an operator reads without knowing zod.
import type { z } from 'zod';
import { formatPath, type ConfigError, type PathSegment } from './errors.js';

type Issue = z.core.$ZodIssue;

export function getIn(raw: unknown, path: readonly PathSegment[]): unknown {
  let node = raw;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function typeOfValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${showValue(v)}`;
}

/** Edit distance, to suggest the key a typo probably meant. Keys are short, so O(n·m) is fine. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min(tmp + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

export function suggest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function bound(origin: string, n: unknown): string {
  if (origin === 'string') return `${String(n)} characters`;
  if (origin === 'array' || origin === 'set') return `${String(n)} items`;
  return String(n);
}

/** `knownKeys(path)` lists the keys valid at an object path, for "did you mean". */
export function issueToErrors(issue: Issue, raw: unknown, knownKeys: (path: readonly PathSegment[]) => string[]): ConfigError[] {
  const path = issue.path as PathSegment[];
  const found = getIn(raw, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(path);
      return issue.keys.map((k) => {
        const hint = suggest(k, known);
        return { path: formatPath([...path, k]), message: `unknown key${hint !== undefined ? ` (did you mean "${hint}"?)` : known.length > 0 ? ` (expected one of: ${known.join(', ')})` : ''}` };
      });
    }
    case 'invalid_type':
      if (found === undefined) return [{ path: formatPath(path), message: `required: expected ${issue.expected}, found nothing` }];
      return [{ path: formatPath(path), message: `expected ${issue.expected}, found ${typeOfValue(found)}` }];
    case 'too_big':
      return [{ path: formatPath(path), message: `must be at most ${bound(issue.origin, issue.maximum)}${issue.inclusive === false ? ' (exclusive)' : ''}, found ${showValue(found)}` }];
    case 'too_small':
      return [{ path: formatPath(path), message: `must be at least ${bound(issue.origin, issue.minimum)}${issue.inclusive === false ? ' (exclusive)' : ''}, found ${showValue(found)}` }];
    case 'invalid_value':
      return [{ path: formatPath(path), message: `${found === undefined ? 'required: ' : ''}expected one of: ${issue.values.map((v) => String(v)).join(', ')}; found ${showValue(found)}` }];
    case 'invalid_format':
      return [{ path: formatPath(path), message: `must ${issue.pattern !== undefined ? `match /${issue.pattern}/` : `be a valid ${issue.format}`}, found ${showValue(found)}` }];
    case 'not_multiple_of':
      return [{ path: formatPath(path), message: `must be a multiple of ${String(issue.divisor)}, found ${showValue(found)}` }];
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'custom':
    default:
      return [{ path: formatPath(path), message: found === undefined || typeof found === 'object' ? issue.message : `${issue.message}, found ${showValue(found)}` }];
  }
}
