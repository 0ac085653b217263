// Tests that need an external tool (promtool, systemd-analyze, sipp, …) skip with a
// one-line notice on a machine without it, and fail under CI=true, where a missing
// tool means the CI image is wrong, not that the test may be skipped.
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const cache = new Map<string, boolean>();

function onPath(cmd: string): boolean {
  if (cmd.includes('/')) return executable(cmd);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && executable(join(dir, cmd))) return true;
  }
  return false;
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function underCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * True when `cmd` is on PATH. When it is missing: under CI throws (so the test file
 * fails), otherwise prints `skipping: install Debian package X` once and returns false.
 */
export function haveTool(cmd: string, debianPackage: string): boolean {
  const known = cache.get(cmd);
  if (known !== undefined) return known;
  const found = onPath(cmd);
  if (!found) {
    if (underCi()) throw new Error(`${cmd} not found and CI is set: install Debian package ${debianPackage}`);
    console.warn(`skipping: install Debian package ${debianPackage} (${cmd} not found)`);
  }
  cache.set(cmd, found);
  return found;
}

/** The same, as an object, for `it.skipIf(!requireTool(...).available)`. */
export function requireTool(cmd: string, debianPackage: string): { available: boolean } {
  return { available: haveTool(cmd, debianPackage) };
}

/**
 * True when `path` exists (a header, a library). When it is missing: under CI
 * throws, otherwise prints `skipping: install Debian package X` once and
 * returns false — the same contract as haveTool.
 */
export function haveFile(path: string, debianPackage: string): boolean {
  const key = `file:${path}`;
  const known = cache.get(key);
  if (known !== undefined) return known;
  const found = existsSync(path);
  if (!found) {
    if (underCi()) throw new Error(`${path} not found and CI is set: install Debian package ${debianPackage}`);
    console.warn(`skipping: install Debian package ${debianPackage} (${path} not found)`);
  }
  cache.set(key, found);
  return found;
}
