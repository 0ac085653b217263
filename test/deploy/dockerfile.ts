// A small Dockerfile reader for tests (no Docker engine runs in CI): enough of the
// syntax to check what the image will do — line continuations, comments, parser
// directives, and the exec (JSON) and shell forms of arguments.

export interface Instruction {
  /** Upper-cased keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined. */
  readonly args: string;
  /** The exec form's array when args is a JSON array, else undefined. */
  readonly json: string[] | undefined;
  /** --flag=value options leading the args (COPY --from=build, HEALTHCHECK --interval=…). */
  readonly flags: Record<string, string>;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface Stage {
  readonly name: string | undefined;
  readonly from: string;
  readonly instructions: Instruction[];
}

function parseJsonArray(s: string): string[] | undefined {
  if (!s.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  let escape = '\\';
  let directives = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (buf === '' && trimmed.startsWith('#')) {
      // Parser directives (`# escape=`) only count before the first instruction.
      const d = directives ? /^#\s*escape\s*=\s*(\S)\s*$/i.exec(trimmed) : null;
      if (d?.[1] !== undefined) escape = d[1];
      continue;
    }
    if (buf !== '' && trimmed.startsWith('#')) continue; // comments inside a continuation are dropped
    if (buf === '' && trimmed === '') continue;
    directives = false;
    if (buf === '') start = i + 1;
    if (trimmed.endsWith(escape)) {
      buf += `${trimmed.slice(0, -1).trimEnd()} `;
      continue;
    }
    buf += trimmed;
    const m = /^(\S+)\s*(.*)$/s.exec(buf);
    buf = '';
    if (m === null) continue;
    const keyword = (m[1] ?? '').toUpperCase();
    let args = (m[2] ?? '').trim();
    const flags: Record<string, string> = {};
    for (let f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(args); f !== null; f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(args)) {
      flags[f[1] ?? ''] = f[2] ?? 'true';
      args = args.slice(f[0].length);
    }
    out.push({ keyword, args, json: parseJsonArray(args), flags, line: start });
  }
  return out;
}

/** Groups instructions by FROM; instructions before the first FROM (ARG) are dropped. */
export function stages(instructions: readonly Instruction[]): Stage[] {
  const out: { name: string | undefined; from: string; instructions: Instruction[] }[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      out.push({ from: m?.[1] ?? ins.args, name: m?.[2], instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}
