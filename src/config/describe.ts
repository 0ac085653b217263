// Documentation generated from the schema itself, so docs/configuration.md cannot
// drift from what the loader accepts (a test compares the two). Regenerate with
// `palisade config-docs > docs/configuration.md`.
import type { z } from 'zod';
import { configSchema } from './schema.js';
import { arrayElement, code, constraintsOf, objectShape, typeName, unwrap } from './walk.js';

export interface ConfigKeyDoc {
  /** Dotted path; `[]` stands for "each element of the list". */
  readonly path: string;
  readonly type: string;
  /** JSON of the default, or undefined when the key has none. */
  readonly default: string | undefined;
  readonly required: boolean;
  readonly description: string;
}

export function describeConfig(schema: z.ZodType = configSchema): ConfigKeyDoc[] {
  const out: ConfigKeyDoc[] = [];
  walk(schema, '', out);
  return out;
}

function walk(schema: z.ZodType, prefix: string, out: ConfigKeyDoc[]): void {
  const shape = objectShape(unwrap(schema).base);
  if (shape === undefined) return;
  for (const [key, child] of Object.entries(shape)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const u = unwrap(child);
    const childShape = objectShape(u.base);
    const element = arrayElement(u.base);
    const elementShape = element === undefined ? undefined : objectShape(unwrap(element).base);
    if (childShape !== undefined) {
      // A section: document it only if it says something, then its keys.
      if (u.description !== undefined) out.push({ path, type: 'object', default: undefined, required: false, description: u.description });
      walk(child, path, out);
      continue;
    }
    const constraints = constraintsOf(u.base);
    out.push({
      path,
      type: elementShape !== undefined ? 'list of object' : [typeName(child), ...constraints].join(', '),
      default: u.hasDefault && u.defaultValue !== undefined ? JSON.stringify(u.defaultValue) : undefined,
      required: !u.optional && !u.hasDefault,
      description: u.description ?? '',
    });
    if (element !== undefined && elementShape !== undefined) walk(element, `${path}[]`, out);
  }
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

const INTRO = `# Configuration

<!-- Generated from src/config/schema.ts by \`palisade config-docs\`; do not edit by hand.
     test/config/docs.test.ts fails when this file and the schema disagree. -->

Palisade reads one YAML file, applies environment overrides, and validates the
result against the schema below. Every mapping is strict: an unknown key is an
error (with a "did you mean" hint), never silently ignored.

## Where the configuration comes from

1. The file named by \`palisade start --config FILE\`; otherwise the file named by
   the \`PALISADE_CONFIG\` environment variable; otherwise the embedded defaults in
   the package's \`config/default.yaml\`.
2. A config file replaces \`config/default.yaml\` entirely; it is not merged with it.
   Keys the file leaves out take the defaults listed below (which for the realms
   means *no listeners*).
3. Environment variables \`PALISADE_<PATH>\` override single keys: path segments are
   separated by \`__\` and matched case-insensitively against the keys, single
   underscores ignored. Values are converted to the key's type: numbers, booleans
   (\`true/false\`, \`1/0\`, \`yes/no\`, \`on/off\`), strings and enums as given, JSON for
   lists and mappings. A numeric segment addresses a list element. An override
   naming an unknown key is an error, like an unknown key in the file.

   \`\`\`sh
   PALISADE_HTTP__PORT=9091
   PALISADE_LOG__LEVEL=debug
   PALISADE_TRANSPORT__TLS__WATCH=false
   PALISADE_TRANSPORT__MAX_CONNECTIONS_PER_IP=16
   PALISADE_REALMS__EXTERNAL__LISTENERS='[{"transport":"udp","port":5070}]'
   PALISADE_REALMS__EXTERNAL__LISTENERS__0__ADVERTISE=sbc.example.net
   \`\`\`
4. Relative file paths (certificates) are relative to the **process working
   directory**, as for any file a process opens. The systemd unit sets
   \`WorkingDirectory=/var/lib/palisade\`; the container configuration uses absolute
   paths.

Errors name the key path (\`realms.external.listeners[1].port\`), say what was
expected and what was found, and give the line in the file or the environment
variable the value came from. Check a file without starting anything with
\`palisade check-config FILE\` (exit 0 valid, 1 invalid, 2 usage error).

## Keys

A key marked *required* has no default. \`[]\` in a path means "each element of the list".
`;

export function renderConfigDocs(schema: z.ZodType = configSchema): string {
  const docs = describeConfig(schema);
  const sections = new Map<string, ConfigKeyDoc[]>();
  for (const d of docs) {
    const top = d.path.split(/[.[]/)[0] ?? d.path;
    let list = sections.get(top);
    if (list === undefined) sections.set(top, (list = []));
    list.push(d);
  }
  const parts: string[] = [INTRO];
  for (const [top, list] of sections) {
    parts.push(`\n### \`${top}\`\n\n| key | type | default | description |\n|---|---|---|---|`);
    for (const d of list) {
      const def = d.default !== undefined ? cell(code(d.default)) : d.required ? '*required*' : '—';
      parts.push(`| ${cell(code(d.path))} | ${cell(d.type)} | ${def} | ${cell(d.description)} |`);
    }
  }
  return `${parts.join('\n')}\n`;
}
