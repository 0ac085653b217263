// Where the package's own files are. The code runs from src/config/*.ts (tsx,
// vitest) and from dist/src/config/*.js (after tsc), and tsc may copy package.json
// into dist/ — so we walk up to the first directory holding both package.json and
// config/default.yaml rather than counting `..`s.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'config', 'default.yaml'))) {
      cachedRoot = dir;
      return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`palisade: cannot find the package root (package.json + config/default.yaml) above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The embedded defaults, used when no config file is named. */
export function defaultConfigFile(): string {
  return join(packageRoot(), 'config', 'default.yaml');
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/**
 * Relative paths in the configuration (certificate files) are relative to the
 * process working directory — the same rule fs applies, so every layer that opens
 * a configured file agrees without passing a base around. Deployments set the
 * working directory (systemd WorkingDirectory, the image's WORKDIR) or use
 * absolute paths.
 */
export function resolveConfigPath(p: string, baseDir: string = process.cwd()): string {
  return resolve(baseDir, p);
}
