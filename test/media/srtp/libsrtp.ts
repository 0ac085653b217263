// Builds and drives libsrtp-helper.c (libsrtp from Debian libsrtp2-dev) for
// the cross-check tests and bench/media-srtp.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveFile, haveTool } from '../../helpers/tools.js';

export const LIBSRTP_HEADER = '/usr/include/srtp2/srtp.h';
// Beside this file when run from the source tree; compiled benchmarks run from dist/,
// where the C file is not copied, so fall back to the same path in the source tree.
const SOURCE = [
  fileURLToPath(new URL('./libsrtp-helper.c', import.meta.url)),
  fileURLToPath(new URL('../../../../test/media/srtp/libsrtp-helper.c', import.meta.url)),
].find((p) => existsSync(p)) ?? fileURLToPath(new URL('./libsrtp-helper.c', import.meta.url));

/** True when a C compiler and the libsrtp headers are here (skip notice / CI failure otherwise). */
export function libsrtpAvailable(): boolean {
  return haveTool('cc', 'gcc') && haveFile(LIBSRTP_HEADER, 'libsrtp2-dev');
}

let built: string | undefined;

/** Path of the compiled helper, built once per process into a temp dir. */
export function libsrtpHelper(): string {
  if (built !== undefined) return built;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-libsrtp-'));
  const bin = join(dir, 'libsrtp-helper');
  execFileSync('cc', ['-O2', '-o', bin, SOURCE, '-lsrtp2'], { stdio: ['ignore', 'ignore', 'pipe'] });
  built = bin;
  return bin;
}

export interface HelperPacket {
  readonly kind: 'rtp' | 'rtcp';
  readonly data: Buffer;
}

/**
 * Protect or unprotect `packets` in order with one libsrtp session. Returns
 * one entry per packet (a Buffer, or the string "ERR <status>"), or
 * undefined when libsrtp cannot set up this suite (a build without GCM).
 */
export function runLibsrtp(
  mode: 'protect' | 'unprotect', suite: string, masterKeyAndSalt: Buffer, packets: readonly HelperPacket[],
): (Buffer | string)[] | undefined {
  const input = [`${suite} ${masterKeyAndSalt.toString('hex')}`,
    ...packets.map((p) => `${p.kind} ${p.data.toString('hex')}`)].join('\n') + '\n';
  const r = spawnSync(libsrtpHelper(), [mode], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status === 3) return undefined;
  if (r.status !== 0) throw new Error(`libsrtp-helper ${mode} exited ${r.status}: ${r.stderr}${r.stdout}`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return lines.map((l) => (l.startsWith('ERR') ? l : Buffer.from(l, 'hex')));
}

/** libsrtp's own cost per 172-byte packet, in ns; undefined if the suite is unsupported. */
export function benchLibsrtp(
  suite: string, masterKeyAndSalt: Buffer, count: number,
): { protectNs: number; unprotectNs: number } | undefined {
  const r = spawnSync(libsrtpHelper(), ['bench', suite, masterKeyAndSalt.toString('hex'), String(count)], {
    encoding: 'utf8',
  });
  if (r.status === 3) return undefined;
  if (r.status !== 0) throw new Error(`libsrtp-helper bench exited ${r.status}: ${r.stdout}${r.stderr}`);
  const num = (k: string): number => Number(/^(\S+) (\S+)$/m.exec(r.stdout.split('\n').find((l) => l.startsWith(k)) ?? '')?.[2]);
  return { protectNs: num('protect_ns'), unprotectNs: num('unprotect_ns') };
}
