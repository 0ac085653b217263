// docs/configuration.md is generated from the schema; this keeps it from drifting.
// After changing the schema: `npx tsx src/cli.ts config-docs > docs/configuration.md`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, packageRoot, renderConfigDocs } from '../../src/config/index.js';

describe('configuration reference', () => {
  it('docs/configuration.md matches the schema', () => {
    const onDisk = readFileSync(join(packageRoot(), 'docs', 'configuration.md'), 'utf8');
    expect(onDisk, 'regenerate with: npx tsx src/cli.ts config-docs > docs/configuration.md').toBe(renderConfigDocs());
  });

  it('describes keys with type, default and description', () => {
    const docs = describeConfig();
    expect(docs.find((d) => d.path === 'http.port')).toEqual({
      path: 'http.port',
      type: 'integer, 0–65535',
      default: '9090',
      required: false,
      description: 'port of the /metrics, /health and /ready server',
    });
    expect(docs.find((d) => d.path === 'realms.external.listeners[].transport')).toMatchObject({ required: true });
    expect(docs.find((d) => d.path === 'realms.external.listeners[].tls.clientCert')?.default).toBe('"none"');
  });
});
