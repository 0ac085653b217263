// Where the SDP is in a SIP body (RFC 5621 bodies, RFC 2046 §5.1 multipart
// syntax): the whole body for application/sdp, one part of a multipart/mixed or
// multipart/alternative (or /related) body otherwise, e.g. SDP next to ISUP or
// a PIDF. We only find byte offsets, so the rest of the body is put back untouched.

export interface SdpLocation {
  /** Byte offsets of the SDP inside the body, end exclusive. */
  readonly start: number;
  readonly end: number;
  readonly multipart: boolean;
}

export type LocateReason = 'not_sdp' | 'no_boundary' | 'bad_multipart' | 'no_sdp_part';

export type LocateResult = { ok: true; location: SdpLocation } | { ok: false; reason: LocateReason; detail: string };

/** Bounds the work a hostile body can cause: parts looked at and nesting depth. */
const MAX_PARTS = 32;
const MAX_DEPTH = 3;

interface MediaType {
  type: string;
  boundary: string | undefined;
}

/** `type/subtype; boundary=...` → lower-cased type and the boundary (quotes removed). */
export function parseContentType(value: string): MediaType {
  const parts = value.split(';');
  const type = (parts[0] ?? '').trim().toLowerCase();
  let boundary: string | undefined;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'boundary') continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    boundary = v;
  }
  return { type, boundary };
}

export function locateSdp(contentType: string, body: Buffer): LocateResult {
  return locate(parseContentType(contentType), body.toString('latin1'), 0, body.length, 0);
}

function locate(ct: MediaType, s: string, from: number, to: number, depth: number): LocateResult {
  if (ct.type === 'application/sdp') return { ok: true, location: { start: from, end: to, multipart: depth > 0 } };
  if (!ct.type.startsWith('multipart/')) return { ok: false, reason: 'not_sdp', detail: `content type ${ct.type || '(none)'}` };
  if (depth >= MAX_DEPTH) return { ok: false, reason: 'bad_multipart', detail: 'multipart nested too deep' };
  // RFC 2046 §5.1.1: 1 to 70 characters.
  if (ct.boundary === undefined || ct.boundary.length === 0 || ct.boundary.length > 70) {
    return { ok: false, reason: 'no_boundary', detail: 'multipart without a usable boundary' };
  }
  const delim = '--' + ct.boundary;
  let at = findDelimiter(s, delim, from, to);
  if (at < 0) return { ok: false, reason: 'bad_multipart', detail: 'no opening delimiter' };
  for (let parts = 0; parts < MAX_PARTS; parts++) {
    const after = at + delim.length;
    if (s.startsWith('--', after)) return { ok: false, reason: 'no_sdp_part', detail: 'no application/sdp part' };
    const nl = s.indexOf('\n', after);
    if (nl < 0 || nl >= to) return { ok: false, reason: 'bad_multipart', detail: 'delimiter line not terminated' };
    const partStart = nl + 1;
    const next = findDelimiter(s, delim, partStart, to);
    if (next < 0) return { ok: false, reason: 'bad_multipart', detail: 'no closing delimiter' };
    // The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    let partEnd = next;
    if (partEnd > partStart && s.charCodeAt(partEnd - 1) === 10) partEnd--;
    if (partEnd > partStart && s.charCodeAt(partEnd - 1) === 13) partEnd--;
    const headers = partHeaders(s, partStart, partEnd);
    if (headers === undefined) return { ok: false, reason: 'bad_multipart', detail: 'part without header end' };
    const inner = parseContentType(headers.contentType ?? 'text/plain');
    if (inner.type === 'application/sdp' || inner.type.startsWith('multipart/')) {
      const r = locate(inner, s, headers.contentStart, partEnd, depth + 1);
      if (r.ok || r.reason !== 'no_sdp_part' && r.reason !== 'not_sdp') {
        if (r.ok) return { ok: true, location: { ...r.location, multipart: true } };
        return r;
      }
    }
    at = next;
  }
  return { ok: false, reason: 'bad_multipart', detail: `more than ${MAX_PARTS} parts` };
}

/** A delimiter counts only at the start of a line. */
function findDelimiter(s: string, delim: string, from: number, to: number): number {
  let i = from;
  for (;;) {
    i = s.indexOf(delim, i);
    if (i < 0 || i + delim.length > to) return -1;
    if (i === from || s.charCodeAt(i - 1) === 10) return i;
    i += delim.length;
  }
}

function partHeaders(s: string, start: number, end: number): { contentType: string | undefined; contentStart: number } | undefined {
  let contentType: string | undefined;
  let pos = start;
  while (pos <= end) {
    let nl = s.indexOf('\n', pos);
    if (nl < 0 || nl > end) nl = end;
    let lineEnd = nl;
    if (lineEnd > pos && s.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    if (lineEnd === pos) return { contentType, contentStart: Math.min(nl + 1, end) };
    if (nl === end) return undefined;
    const text = s.slice(pos, lineEnd);
    const colon = text.indexOf(':');
    if (colon > 0 && text.slice(0, colon).trim().toLowerCase() === 'content-type') contentType = text.slice(colon + 1).trim();
    pos = nl + 1;
  }
  return undefined;
}

/** The body with the SDP at `loc` replaced by `sdp`; everything around it byte for byte. */
export function spliceSdp(body: Buffer, loc: SdpLocation, sdp: Buffer): Buffer {
  return Buffer.concat([body.subarray(0, loc.start), sdp, body.subarray(loc.end)]);
}
