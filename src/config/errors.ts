// Configuration problems are values, not exceptions: the loader collects every one
// it can find so an operator fixes a file in one pass instead of one error per run.

export interface ConfigError {
  /** Where: a key path such as `realms.external.listeners[1].port`; empty when the problem is the file itself. */
  readonly path: string;
  /** What was expected and what was found. */
  readonly message: string;
  /** 1-based position in the YAML file, when known. */
  readonly line?: number;
  readonly column?: number;
  /** The environment variable that supplied the offending value, when it came from one. */
  readonly envVar?: string;
}

export type PathSegment = string | number;

/** `['realms','external','listeners',1,'port']` → `realms.external.listeners[1].port` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** One line per error, the form `check-config` prints: `PATH: message (line N)`. */
export function formatConfigError(err: ConfigError, file?: string): string {
  const where: string[] = [];
  if (err.line !== undefined) where.push(`line ${err.line}${err.column !== undefined ? `, column ${err.column}` : ''}`);
  if (err.envVar !== undefined) where.push(`from ${err.envVar}`);
  const suffix = where.length > 0 ? ` (${where.join(', ')})` : '';
  const head = err.path !== '' ? err.path : (file ?? 'config');
  return `${head}: ${err.message}${suffix}`;
}
