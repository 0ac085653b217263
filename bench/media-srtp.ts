// µs per 172-byte RTP packet (12-byte header + 160 bytes of G.711, 20 ms)
// for SRTP protect and unprotect, ours (node:crypto) against libsrtp's own
// transform timed in C in the same run. Run: npx tsx bench/media-srtp.ts [count] [rounds]
//
// Ours includes building nothing: the plain packets are made up front, as a
// relay has them from the socket; libsrtp's loop also writes each header.
// Both copy each protected packet into one preallocated slab for the
// unprotect run. Rounds alternate ours and libsrtp; medians are printed.
// Both figures are for one core; ratios matter more than absolute times.
import { randomBytes } from 'node:crypto';
import { createSrtpContext, SUITE_NAMES, suiteByName } from '../src/media/srtp/index.js';
import { benchLibsrtp, libsrtpAvailable } from '../test/media/srtp/libsrtp.js';

const count = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 5);

function packets(n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const p = Buffer.alloc(172, 0xd5);
    p[0] = 0x80;
    p[1] = 0; // PT 0 (PCMU), as libsrtp's loop writes it
    p.writeUInt16BE(i & 0xffff, 2);
    p.writeUInt32BE(i * 160, 4);
    p.writeUInt32BE(0xcafebabe, 8);
    out.push(p);
  }
  return out;
}

function ours(name: (typeof SUITE_NAMES)[number], plain: Buffer[]): { protectUs: number; unprotectUs: number } {
  const s = suiteByName(name)!;
  const key = randomBytes(s.keyLength);
  const salt = randomBytes(s.saltLength);
  const tx = createSrtpContext(name, key, salt);
  const rx = createSrtpContext(name, key, salt, { replayWindow: 128 });
  const STRIDE = 256;
  const slab = Buffer.alloc(plain.length * STRIDE);
  const lens = new Uint16Array(plain.length);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < plain.length; i++) {
    const r = tx.protectRtp(plain[i]!);
    if (!r.ok) throw new Error(r.reason);
    // a relay would hand r.packet to socket.send; keep a copy for the unprotect run
    r.packet.copy(slab, i * STRIDE);
    lens[i] = r.packet.length;
  }
  let t1 = process.hrtime.bigint();
  const protectNs = Number(t1 - t0) / plain.length;
  const wire = Array.from(lens, (n, i) => slab.subarray(i * STRIDE, i * STRIDE + n));
  t0 = process.hrtime.bigint();
  for (let i = 0; i < wire.length; i++) {
    const r = rx.unprotectRtp(wire[i]!);
    if (!r.ok) throw new Error(r.reason);
  }
  t1 = process.hrtime.bigint();
  return { protectUs: protectNs / 1000, unprotectUs: Number(t1 - t0) / wire.length / 1000 };
}

const plain = packets(count);
const rows: string[] = [];
const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '   n/a' : x.toFixed(2).padStart(6));
const haveLib = libsrtpAvailable();
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`SRTP, ${count} packets of 172 bytes, median of ${ROUNDS} alternating rounds, µs/packet (Node ${process.version})`);
console.log('suite                     ours:protect unprotect   libsrtp:protect unprotect   ours/libsrtp: protect unprotect');
for (const name of SUITE_NAMES) {
  ours(name, plain.slice(0, 20_000)); // warm up the JIT and OpenSSL
  const s = suiteByName(name)!;
  // alternate ours and libsrtp for ROUNDS rounds: on a shared machine both
  // sides of a ratio then see the same disturbances
  const mine: { protectUs: number; unprotectUs: number }[] = [];
  const theirs: { protectNs: number; unprotectNs: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    mine.push(ours(name, plain));
    const lib = haveLib ? benchLibsrtp(name, randomBytes(s.keyLength + s.saltLength), count) : undefined;
    if (lib !== undefined) theirs.push(lib);
  }
  const o = { protectUs: median(mine.map((m) => m.protectUs)), unprotectUs: median(mine.map((m) => m.unprotectUs)) };
  const lp = theirs.length === 0 ? undefined : median(theirs.map((t) => t.protectNs)) / 1000;
  const lu = theirs.length === 0 ? undefined : median(theirs.map((t) => t.unprotectNs)) / 1000;
  const ratio = (a: number, b: number | undefined): string => (b === undefined ? '  n/a' : (a / b).toFixed(2));
  rows.push(`${name.padEnd(26)}${fmt(o.protectUs)}     ${fmt(o.unprotectUs)}          ${fmt(lp)}    ${fmt(lu)}                  ${ratio(o.protectUs, lp)}     ${ratio(o.unprotectUs, lu)}`);
  console.log(rows[rows.length - 1]);
}
