// Audio for media interop tests, in plain TS: a tone pattern written as a WAV a SIP
// client can play (8 kHz, 16-bit, mono, as G.711 carries it), and the analysis of
// what the far end recorded: how well it lines up with what was sent (correlation at
// the best lag), and which tone each 50 ms block carries (Goertzel filters).
import { readFileSync, writeFileSync } from 'node:fs';

export interface Pcm {
  readonly sampleRate: number;
  /** Mono samples (the first channel of a multichannel file). */
  readonly samples: Int16Array;
}

export interface TonePattern {
  /** Tone frequencies in Hz, played in this order, each for `toneMs`, repeated to fill `totalMs`. */
  readonly freqs: readonly number[];
  readonly toneMs: number;
  readonly totalMs: number;
  readonly sampleRate?: number;
  /** Peak amplitude, 0..1 of full scale; default 0.3. */
  readonly amplitude?: number;
}

/** Block length of the tone analysis: 400 samples (50 ms at 8 kHz), so 20 Hz bins. */
export const BLOCK = 400;

export function toneSamples(p: TonePattern): Pcm {
  const sr = p.sampleRate ?? 8000;
  const amp = Math.round((p.amplitude ?? 0.3) * 32767);
  const n = Math.round((p.totalMs * sr) / 1000);
  const per = Math.round((p.toneMs * sr) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const seg = Math.floor(i / per);
    const f = p.freqs[seg % p.freqs.length]!;
    // phase restarts at each tone: segments are whole numbers of cycles for 20 Hz multiples
    out[i] = Math.round(amp * Math.sin((2 * Math.PI * f * (i - seg * per)) / sr));
  }
  return { sampleRate: sr, samples: out };
}

/** A canonical 44-byte-header PCM WAV (what baresip's aufile reads: S16LE, mono). */
export function encodeWav(pcm: Pcm): Buffer {
  const data = pcm.samples.length * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + data, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(pcm.sampleRate, 24);
  b.writeUInt32LE(pcm.sampleRate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(data, 40);
  for (let i = 0; i < pcm.samples.length; i++) b.writeInt16LE(pcm.samples[i]!, 44 + 2 * i);
  return b;
}

export function writeWav(path: string, pcm: Pcm): void {
  writeFileSync(path, encodeWav(pcm));
}

/**
 * Reads a 16-bit PCM WAV by its chunks (libsndfile may add chunks before `data`).
 * A data size of 0 or past the end (a writer that did not finish its header) means
 * "to the end of the file".
 */
export function decodeWav(buf: Buffer): Pcm {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let off = 12;
  let sampleRate = 0;
  let channels = 0;
  let bits = 0;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      const format = buf.readUInt16LE(body);
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
      if (format !== 1 && format !== 0xfffe) throw new Error(`WAV format ${format} is not PCM`);
      if (bits !== 16) throw new Error(`WAV has ${bits}-bit samples, want 16`);
    } else if (id === 'data') {
      if (channels === 0) throw new Error('WAV data before fmt');
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      const frames = Math.floor(size / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(body + 2 * channels * i);
      return { sampleRate, samples };
    }
    off = body + size + (size & 1);
  }
  throw new Error('WAV has no data chunk');
}

export function readWav(path: string): Pcm {
  return decodeWav(readFileSync(path));
}

/** Goertzel power of `freq` over samples[start, start+len). */
export function goertzel(x: Int16Array, start: number, len: number, freq: number, sampleRate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < start + len; i++) {
    const s0 = x[i]! + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

export interface BlockTone {
  /** The strongest of the candidate frequencies, or 0 when the block is (near) silent or no candidate dominates. */
  readonly freq: number;
  /** RMS level of the block, in sample units. */
  readonly rms: number;
  /** Share of the block's energy in that frequency (1 for a pure tone centred on the bin). */
  readonly purity: number;
}

/**
 * The dominant tone of samples[start, start+BLOCK) among `candidates`. It counts as a
 * tone when the block is not silent (RMS above `minRms`) and at least `minPurity` of
 * its energy sits in that one frequency (a block across two tones has neither).
 */
export function toneAt(x: Int16Array, start: number, candidates: readonly number[], sampleRate: number, minRms = 300, minPurity = 0.5): BlockTone {
  let energy = 0;
  for (let i = start; i < start + BLOCK; i++) energy += x[i]! * x[i]!;
  const rms = Math.sqrt(energy / BLOCK);
  let best = 0;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzel(x, start, BLOCK, f, sampleRate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  // Parseval: a pure bin-centred tone has Goertzel power = energy · N / 2
  const purity = energy > 0 ? bestPower / ((energy * BLOCK) / 2) : 0;
  return { freq: rms >= minRms && purity >= minPurity ? best : 0, rms, purity };
}

/** toneAt for each whole BLOCK of the signal. */
export function blockTones(pcm: Pcm, candidates: readonly number[]): BlockTone[] {
  const out: BlockTone[] = [];
  for (let start = 0; start + BLOCK <= pcm.samples.length; start += BLOCK) out.push(toneAt(pcm.samples, start, candidates, pcm.sampleRate));
  return out;
}

export interface Comparison {
  /** Seconds of audio recorded. */
  readonly seconds: number;
  /** RMS of the whole recording (0 for silence). */
  readonly rms: number;
  /** Where the recording starts in the sent signal, in samples (best lag). */
  readonly lag: number;
  /** Normalized cross-correlation of recording and sent signal at that lag (1 = identical); recorded samples with nothing sent opposite count against it. */
  readonly correlation: number;
  /** Blocks of the recording carrying one of the candidate tones. */
  readonly toneBlocks: number;
  /** Blocks whose lag-aligned sent block is a clean tone (not across two tones). */
  readonly comparableBlocks: number;
  /** Of those, blocks whose received tone is the tone sent there. */
  readonly matchingBlocks: number;
  readonly blocks: number;
  /** Blocks dominated by one of `foreign` (e.g. the recorder's own tones coming back). */
  readonly foreignBlocks: number;
  /** Dominant tone per block, for failure messages. */
  readonly track: number[];
}

function correlationAt(rec: Int16Array, sent: Int16Array, lag: number, step: number): number {
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < rec.length; i += step) {
    const a = rec[i]!;
    xx += a * a;
    const j = i + lag;
    if (j < 0 || j >= sent.length) continue;
    const b = sent[j]!;
    xy += a * b;
    yy += b * b;
  }
  return xx > 0 && yy > 0 ? xy / Math.sqrt(xx * yy) : 0;
}

/**
 * Compares a recording with the signal that was sent: finds the lag that best lines
 * the two up (the recording starts at the first packet received, so some way into
 * what was sent; a little leading silence is allowed for), then checks block by
 * block that the tone received is the tone sent there. `candidates` are every tone
 * either side may send; `foreign` those that must not show up in this recording.
 */
export function compareWithSent(rec: Pcm, sent: Pcm, candidates: readonly number[], foreign: readonly number[] = [], maxLagSeconds = 3): Comparison {
  if (rec.sampleRate !== sent.sampleRate) throw new Error(`sample rates differ: ${rec.sampleRate} vs ${sent.sampleRate}`);
  const r = rec.samples;
  const s = sent.samples;
  let energy = 0;
  for (let i = 0; i < r.length; i++) energy += r[i]! * r[i]!;
  const rms = r.length ? Math.sqrt(energy / r.length) : 0;
  const maxLag = Math.round(maxLagSeconds * rec.sampleRate);
  const maxLead = Math.round(0.5 * rec.sampleRate);
  // every lag, on every 8th sample (tones up to 2 kHz lose their correlation a sample
  // or two off the right lag, so the lag is never stepped over), then refined on all
  let best = 0;
  let bestC = -2;
  for (let lag = -maxLead; lag <= maxLag; lag++) {
    const c = correlationAt(r, s, lag, 8);
    if (c > bestC) {
      bestC = c;
      best = lag;
    }
  }
  const coarse = best;
  bestC = -2;
  for (let lag = coarse - 2; lag <= coarse + 2; lag++) {
    const c = correlationAt(r, s, lag, 1);
    if (c > bestC) {
      bestC = c;
      best = lag;
    }
  }
  const track = blockTones(rec, candidates);
  let tones = 0;
  let comparable = 0;
  let matching = 0;
  let foreignBlocks = 0;
  for (let b = 0; b < track.length; b++) {
    const f = track[b]!.freq;
    if (f !== 0) tones++;
    if (f !== 0 && foreign.includes(f)) foreignBlocks++;
    const at = b * BLOCK + best;
    if (at < 0 || at + BLOCK > s.length) continue;
    const sentTone = toneAt(s, at, candidates, sent.sampleRate).freq;
    if (sentTone === 0) continue;
    comparable++;
    if (sentTone === f) matching++;
  }
  return {
    seconds: r.length / rec.sampleRate,
    rms,
    lag: best,
    correlation: bestC,
    toneBlocks: tones,
    comparableBlocks: comparable,
    matchingBlocks: matching,
    blocks: track.length,
    foreignBlocks,
    track: track.map((t) => t.freq),
  };
}
