// Every YAML file shipped in config/ must pass check-config.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatConfigError, loadConfig, packageRoot } from '../../src/config/index.js';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const root = packageRoot();
const files = yamlFiles(join(root, 'config'));

describe('shipped config files', () => {
  it('there are some', () => {
    expect(files.map((f) => relative(root, f))).toEqual(expect.arrayContaining(['config/default.yaml', 'config/examples/two-realms.yaml']));
  });

  it.each(files.map((f) => [relative(root, f), f]))('%s validates', (_name, file) => {
    const r = loadConfig({ file, env: {} });
    expect(r.ok ? [] : r.errors.map((e) => formatConfigError(e, file))).toEqual([]);
  });
});
