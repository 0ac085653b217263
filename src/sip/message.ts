// The lazy message view: the parse recorded where things are; values are
// decoded when asked for, and edits are recorded and applied by serialize().

import { H_CALL_ID, H_CONTACT, H_FROM, H_RECORD_ROUTE, H_ROUTE, H_TO, canonicalName, isListHeader, listElementEnd, listElementEndB, splitList, trimWs, unfold } from './headers.js';
import { parseNameAddr, parseNameAddrBytes, type NameAddr } from './nameaddr.js';
import { parseUri, type SipUri } from './uri.js';
import { parseVia, type Via } from './via.js';
import { parseCSeq, type CSeq } from './cseq.js';

export interface SipMessage {
  readonly kind: 'request' | 'response';
  /** Request method, case-sensitive as written; '' for responses. */
  readonly method: string;
  /** Raw Request-URI; '' for responses. */
  readonly uri: string;
  /** Status code; 0 for requests. */
  readonly status: number;
  /** Reason phrase (may be ''); '' for requests. */
  readonly reason: string;
  /** SIP-Version as written on the start line. */
  readonly version: string;

  /** First value (first list element for comma-list headers); case-insensitive; compact forms equivalent. */
  header(name: string): string | undefined;
  /** Every value across all lines; comma lists split (never for auth headers, Date, From/To …). */
  headerValues(name: string): string[];
  /** One value per header line, unfolded, not split. */
  headerLines(name: string): string[];
  has(name: string): boolean;
  /** Every header line in order as [name as written, value]. */
  headerEntries(): Array<[string, string]>;

  readonly body: Buffer;
  /** All Via values, top first. Validated by the parse, so never malformed on an ok message. */
  vias(): Via[];
  topVia(): Via | undefined;
  /** On an ok message always valid; on a `partial` with a bad CSeq: { seq: -1, method: '' }. */
  cseq(): CSeq;
  callId(): string;
  /** undefined when malformed (the non-strict parse does not look inside From/To). */
  from(): NameAddr | undefined;
  to(): NameAddr | undefined;
  /** Name-addr list headers (Contact, Route, Record-Route, Path …); undefined when any element is malformed. */
  nameAddrs(name: string): NameAddr[] | undefined;
  contacts(): NameAddr[] | undefined;
  /** 70 when absent (RFC 3261 §8.1.1.6 robustness), -1 on a partial with a bad value. */
  maxForwards(): number;
  /** Parsed Request-URI for sip/sips/tel; undefined for responses and other schemes. */
  requestUri(): SipUri | undefined;

  setHeader(name: string, value: string): void;
  removeHeader(name: string): void;
  /** Inserts before the first line of that header, or before the first header line if it has none. */
  prependHeader(name: string, value: string): void;
  /** Inserts after the last header line. */
  appendHeader(name: string, value: string): void;
  /** Replaces only the first Via value, leaving any others on the same line untouched. */
  replaceTopVia(value: string): void;
  /** Removes the first Via value (the whole line when it held only that one). */
  removeTopVia(): void;
  /** Replaces the body and sets Content-Length; sets Content-Type when given, drops it for an empty body without one. */
  setBody(body: Buffer, contentType?: string): void;
  setRequestUri(uri: string): void;
  /** Replaces the whole start line (no CRLF). */
  setStartLine(line: string): void;
  /** The message bytes: untouched parts are the input bytes, byte for byte. */
  serialize(): Buffer;
}

/** A header line added or rewritten by an edit. */
interface NewLine {
  name: string; // canonical
  written: string; // name as the editor spelled it
  value: string;
}
/** After the first edit, lines are either an index into the parsed lines or a NewLine. */
type Line = number | NewLine;

const CRLF = Buffer.from('\r\n');

/**
 * A class rather than closures: a message is created per packet, and prototype
 * methods cost nothing per instance where 30 closures would.
 */
export class MessageView implements SipMessage {
  kind: 'request' | 'response' = 'request';
  method = '';
  uri = '';
  status = 0;
  reason = '';
  version = '';

  /** Parsed header lines: canonical names, and [lineStart, valueStart, lineEnd, flags] per line (flags: 1 folded, 2 non-ASCII) in `head`. */
  readonly names: string[] = [];
  // Presized: 16 lines fit without the array growing (a push-grown array reallocates several times).
  readonly offs: number[] = new Array<number>(64);
  /** First parsed line of each header the parser knows by id (headers.ts H_*), -1 when absent. */
  // A literal, not an Int32Array: typed-array allocation costs more than the whole scan of a small message.
  readonly idx: number[] = [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1];
  startLineEnd = 0;
  bodyStart = 0;
  bodyEnd = 0;

  // Caches, cleared by edits.
  _vias: Via[] | undefined = undefined;
  _cseq: CSeq | undefined = undefined;
  _maxForwards = 70;
  _from: NameAddr | null | undefined = undefined;
  private _body: Buffer | undefined = undefined;
  _to: NameAddr | null | undefined = undefined;

  // Edits.
  private lines: Line[] | undefined = undefined;
  private newStartLine: string | undefined = undefined;
  private newBody: Buffer | undefined = undefined;

  constructor(
    readonly buf: Buffer,
    /** latin1 view of buf[0, end of header block): one char per byte, so offsets are byte offsets. */
    readonly head: string,
    readonly start: number,
  ) {}

  get body(): Buffer {
    if (this.newBody !== undefined) return this.newBody;
    // Made once: a subarray is an object allocation per call.
    return (this._body ??= this.buf.subarray(this.bodyStart, this.bodyEnd));
  }

  // ---- header access -------------------------------------------------------

  /** Raw value text of parsed line i (UTF-8 decoded when it holds non-ASCII bytes). */
  parsedValue(i: number): string {
    const a = this.offs[i * 4 + 1]!;
    const b = this.offs[i * 4 + 2]!;
    const flags = this.offs[i * 4 + 3]!;
    const v = flags & 2 ? this.buf.toString('utf8', a, b) : this.head.slice(a, b);
    return flags & 1 ? unfold(v) : trimWs(v);
  }

  private parsedWrittenName(i: number): string {
    const a = this.offs[i * 4]!;
    const colon = this.offs[i * 4 + 1]! - 1;
    return this.head.slice(a, colon).trimEnd();
  }

  private lineCount(): number {
    return this.lines === undefined ? this.names.length : this.lines.length;
  }

  private lineName(k: number): string {
    if (this.lines === undefined) return this.names[k]!;
    const l = this.lines[k]!;
    return typeof l === 'number' ? this.names[l]! : l.name;
  }

  private lineValue(k: number): string {
    if (this.lines === undefined) return this.parsedValue(k);
    const l = this.lines[k]!;
    return typeof l === 'number' ? this.parsedValue(l) : l.value;
  }

  private lineWrittenName(k: number): string {
    if (this.lines === undefined) return this.parsedWrittenName(k);
    const l = this.lines[k]!;
    return typeof l === 'number' ? this.parsedWrittenName(l) : l.written;
  }

  private firstIndex(canon: string): number {
    const n = this.lineCount();
    for (let k = 0; k < n; k++) if (this.lineName(k) === canon) return k;
    return -1;
  }

  header(name: string): string | undefined {
    const canon = canonicalName(name);
    const k = this.firstIndex(canon);
    if (k < 0) return undefined;
    const v = this.lineValue(k);
    if (!isListHeader(canon)) return v;
    return firstListElement(v);
  }

  headerValues(name: string): string[] {
    const canon = canonicalName(name);
    const list = isListHeader(canon);
    const out: string[] = [];
    const n = this.lineCount();
    for (let k = 0; k < n; k++) {
      if (this.lineName(k) !== canon) continue;
      const v = this.lineValue(k);
      if (list) splitList(v, out);
      else out.push(v);
    }
    return out;
  }

  headerLines(name: string): string[] {
    const canon = canonicalName(name);
    const out: string[] = [];
    const n = this.lineCount();
    for (let k = 0; k < n; k++) if (this.lineName(k) === canon) out.push(this.lineValue(k));
    return out;
  }

  has(name: string): boolean {
    return this.firstIndex(canonicalName(name)) >= 0;
  }

  headerEntries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const n = this.lineCount();
    for (let k = 0; k < n; k++) out.push([this.lineWrittenName(k), this.lineValue(k)]);
    return out;
  }

  // ---- typed accessors -----------------------------------------------------

  vias(): Via[] {
    if (this._vias === undefined) {
      const out: Via[] = [];
      for (const v of this.headerValues('via')) {
        const p = parseVia(v);
        if (p !== undefined) out.push(p); // only edited-in values can fail here; the parse validated the rest
      }
      this._vias = out;
    }
    return this._vias;
  }

  topVia(): Via | undefined {
    return this.vias()[0];
  }

  cseq(): CSeq {
    return this._cseq ?? { seq: -1, method: '' };
  }

  callId(): string {
    if (this.lines === undefined) {
      const k = this.idx[H_CALL_ID]!;
      return k < 0 ? '' : this.parsedValue(k);
    }
    return this.header('call-id') ?? '';
  }

  from(): NameAddr | undefined {
    if (this._from === undefined) this._from = this.singleNameAddr(H_FROM, 'from');
    return this._from ?? undefined;
  }

  to(): NameAddr | undefined {
    if (this._to === undefined) this._to = this.singleNameAddr(H_TO, 'to');
    return this._to ?? undefined;
  }

  /** From or To: parsed straight from the head when the line is unedited, unfolded ASCII. */
  private singleNameAddr(id: number, canon: string): NameAddr | null {
    if (this.lines === undefined) {
      const k = this.idx[id]!;
      if (k < 0) return null;
      const o = k * 4;
      if (this.offs[o + 3] === 0) return parseNameAddrBytes(this.buf, this.head, this.offs[o + 1]!, this.offs[o + 2]!) ?? null;
    }
    const v = this.header(canon);
    return (v === undefined ? undefined : parseNameAddr(v)) ?? null;
  }

  nameAddrs(name: string): NameAddr[] | undefined {
    const out: NameAddr[] = [];
    // The names a proxy asks for on every message skip the spelling cache.
    const canon = name === 'route' || name === 'record-route' || name === 'contact' ? name : canonicalName(name);
    if (this.lines !== undefined) {
      for (const v of this.headerValues(canon)) {
        const na = parseNameAddr(v);
        if (na === undefined) return undefined;
        out.push(na);
      }
      return out;
    }
    // Unedited: walk the parsed lines and parse each element in place (the
    // elements splitList would cut), without making value strings.
    const list = canon === 'route' || canon === 'record-route' || canon === 'contact' || isListHeader(canon);
    const names = this.names;
    const offs = this.offs;
    const head = this.head;
    const buf = this.buf;
    const n = names.length;
    const hint = canon === 'contact' ? this.idx[H_CONTACT]! : canon === 'route' ? this.idx[H_ROUTE]! : canon === 'record-route' ? this.idx[H_RECORD_ROUTE]! : 0;
    if (hint < 0) return out;
    let comma = -2; // next ',' at or after the cursor (-1 none left, -2 not searched): linear
    for (let k = hint; k < n; k++) {
      if (names[k] !== canon) continue;
      const o = k * 4;
      if (offs[o + 3] !== 0 || !list) {
        const v = this.parsedValue(k);
        if (!list) {
          const na = parseNameAddr(v);
          if (na === undefined) return undefined;
          out.push(na);
          continue;
        }
        for (const e of splitList(v)) {
          const na = parseNameAddr(e);
          if (na === undefined) return undefined;
          out.push(na);
        }
        continue;
      }
      let a = offs[o + 1]!;
      const b = offs[o + 2]!;
      while (a < b) {
        if (comma === -2 || (comma >= 0 && comma < a)) comma = head.indexOf(',', a);
        const end = comma < 0 || comma >= b ? b : listElementEndB(buf, a, b);
        let x = a;
        let y = end;
        while (x < y && isWsCode(buf[x]!)) x++;
        while (y > x && isWsCode(buf[y - 1]!)) y--;
        if (y > x) {
          const na = parseNameAddrBytes(buf, head, x, y);
          if (na === undefined) return undefined;
          out.push(na);
        }
        a = end + 1;
      }
    }
    return out;
  }

  contacts(): NameAddr[] | undefined {
    // Contact: * (REGISTER, RFC 3261 §10.2.2) is not a name-addr; callers check header('contact') === '*'.
    return this.nameAddrs('contact');
  }

  maxForwards(): number {
    return this._maxForwards;
  }

  requestUri(): SipUri | undefined {
    return this.kind === 'request' ? parseUri(this.uri) : undefined;
  }

  // ---- edits -----------------------------------------------------------------

  private editable(): Line[] {
    if (this.lines === undefined) {
      const n = this.names.length;
      const l: Line[] = new Array<Line>(n);
      for (let i = 0; i < n; i++) l[i] = i;
      this.lines = l;
    }
    this._vias = undefined;
    this._from = undefined;
    this._to = undefined;
    return this.lines;
  }

  private newLine(name: string, value: string): NewLine {
    return { name: canonicalName(name), written: name, value };
  }

  setHeader(name: string, value: string): void {
    const lines = this.editable();
    const canon = canonicalName(name);
    const at = lines.findIndex((l) => this.nameOf(l) === canon);
    this.lines = lines.filter((l) => this.nameOf(l) !== canon);
    this.lines.splice(at < 0 ? this.lines.length : at, 0, this.newLine(name, value));
    this.refreshCaches(canon, value);
  }

  removeHeader(name: string): void {
    const canon = canonicalName(name);
    this.lines = this.editable().filter((l) => this.nameOf(l) !== canon);
    this.refreshCaches(canon, undefined);
  }

  prependHeader(name: string, value: string): void {
    const lines = this.editable();
    const canon = canonicalName(name);
    const at = lines.findIndex((l) => this.nameOf(l) === canon);
    lines.splice(at < 0 ? 0 : at, 0, this.newLine(name, value));
  }

  appendHeader(name: string, value: string): void {
    this.editable().push(this.newLine(name, value));
  }

  replaceTopVia(value: string): void {
    const lines = this.editable();
    const k = lines.findIndex((l) => this.nameOf(l) === 'via');
    if (k < 0) {
      lines.unshift(this.newLine('Via', value));
      return;
    }
    const old = this.lineValue(k);
    const comma = topLevelComma(old);
    lines[k] = { name: 'via', written: this.lineWrittenName(k), value: comma < 0 ? value : value + old.slice(comma) };
  }

  removeTopVia(): void {
    const lines = this.editable();
    const k = lines.findIndex((l) => this.nameOf(l) === 'via');
    if (k < 0) return;
    const old = this.lineValue(k);
    const comma = topLevelComma(old);
    if (comma < 0) lines.splice(k, 1);
    else lines[k] = { name: 'via', written: this.lineWrittenName(k), value: old.slice(comma + 1).trimStart() };
  }

  setBody(body: Buffer, contentType?: string): void {
    this.newBody = body;
    this.setHeader('Content-Length', String(body.length));
    if (contentType !== undefined) this.setHeader('Content-Type', contentType);
    else if (body.length === 0) this.removeHeader('content-type');
  }

  setRequestUri(uri: string): void {
    if (this.kind !== 'request') return;
    this.uri = uri;
    this.newStartLine = `${this.method} ${uri} ${this.version}`;
  }

  setStartLine(line: string): void {
    this.newStartLine = line;
  }

  private nameOf(l: Line): string {
    return typeof l === 'number' ? this.names[l]! : l.name;
  }

  private refreshCaches(canon: string, value: string | undefined): void {
    if (canon === 'max-forwards') {
      const n = value === undefined ? 70 : Number(value.trim());
      this._maxForwards = Number.isInteger(n) && n >= 0 && n <= 255 ? n : 70;
    } else if (canon === 'cseq' && value !== undefined) {
      this._cseq = parseCSeq(value) ?? this._cseq;
    }
  }

  // ---- output ----------------------------------------------------------------

  serialize(): Buffer {
    const buf = this.buf;
    if (this.lines === undefined && this.newStartLine === undefined && this.newBody === undefined) {
      return this.start === 0 && this.bodyEnd === buf.length ? buf : buf.subarray(this.start, this.bodyEnd);
    }
    const parts: Buffer[] = [];
    parts.push(this.newStartLine === undefined ? buf.subarray(this.start, this.startLineEnd + 2) : Buffer.from(this.newStartLine + '\r\n', 'utf8'));
    const offs = this.offs;
    if (this.lines === undefined) {
      const n = this.names.length;
      if (n > 0) parts.push(buf.subarray(offs[0]!, offs[(n - 1) * 4 + 2]! + 2));
    } else {
      // Consecutive untouched lines are contiguous in the input: emit them as one slice.
      let runStart = -1;
      let runEnd = -1;
      for (const l of this.lines) {
        if (typeof l === 'number') {
          const a = offs[l * 4]!;
          const b = offs[l * 4 + 2]! + 2;
          if (runStart >= 0 && a === runEnd) runEnd = b;
          else {
            if (runStart >= 0) parts.push(buf.subarray(runStart, runEnd));
            runStart = a;
            runEnd = b;
          }
        } else {
          if (runStart >= 0) parts.push(buf.subarray(runStart, runEnd));
          runStart = -1;
          parts.push(Buffer.from(`${l.written}: ${l.value}\r\n`, 'utf8'));
        }
      }
      if (runStart >= 0) parts.push(buf.subarray(runStart, runEnd));
    }
    parts.push(CRLF);
    parts.push(this.body);
    return Buffer.concat(parts);
  }
}

function isWsCode(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** First element of a comma list without splitting the rest. */
function firstListElement(v: string): string {
  const c = topLevelComma(v);
  if (c < 0) return v;
  // Leading empty elements (',,a') are skipped, as splitList would.
  const first = v.slice(0, c).trim();
  return first.length > 0 ? first : (splitList(v)[0] ?? '');
}

/** Index of the first comma that separates list elements, or -1. */
export function topLevelComma(v: string): number {
  const end = listElementEnd(v, 0, v.length);
  return end === v.length ? -1 : end;
}
