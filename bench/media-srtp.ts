// µs per 172-byte RTP packet (12-byte header + 160 bytes of G.711, 20 ms)
// for SRTP protect and unprotect, ours (node:crypto) against libsrtp's own
// transform timed in C in the same run. Run: npx tsx bench/media-srtp.ts [count] [rounds]
//
// Ours includes building nothing: the plain packets are made up front, as a
// relay has them from the socket; libsrtp's loop also writes each header.
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
  const wire: Buffer[] = new Array<Buffer>(plain.length);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < plain.length; i++) {
    const r = tx.protectRtp(plain[i]!);
    if (!r.ok) throw new Error(r.reason);
    // a relay would hand r.packet to socket.send; keep a copy for the unprotect run
    wire[i] = Buffer.from(r.packet);
  }
  let t1 = process.hrtime.bigint();
  const protectNs = Number(t1 - t0) / plain.length;
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
console.log(`SRTP, ${count} packets of 172 bytes, best of ${ROUNDS} rounds, µs/packet (Node ${process.version})`);
console.log('suite                     ours:protect unprotect   libsrtp:protect unprotect   ratio(prot)');
for (const name of SUITE_NAMES) {
  ours(name, plain.slice(0, 20_000)); // warm up the JIT and OpenSSL
  const s = suiteByName(name)!;
  // alternate ours and libsrtp for ROUNDS rounds and keep each one's best:
  // on a shared machine the minimum is the figure least disturbed by others
  const mine: { protectUs: number; unprotectUs: number }[] = [];
  const theirs: { protectNs: number; unprotectNs: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    mine.push(ours(name, plain));
    const lib = haveLib ? benchLibsrtp(name, randomBytes(s.keyLength + s.saltLength), count) : undefined;
    if (lib !== undefined) theirs.push(lib);
  }
  const o = { protectUs: Math.min(...mine.map((m) => m.protectUs)), unprotectUs: Math.min(...mine.map((m) => m.unprotectUs)) };
  const lp = theirs.length === 0 ? undefined : Math.min(...theirs.map((t) => t.protectNs)) / 1000;
  const lu = theirs.length === 0 ? undefined : Math.min(...theirs.map((t) => t.unprotectNs)) / 1000;
  rows.push(`${name.padEnd(26)}${fmt(o.protectUs)}     ${fmt(o.unprotectUs)}          ${fmt(lp)}    ${fmt(lu)}        ${lp === undefined ? '  n/a' : (o.protectUs / lp).toFixed(2)}`);
  console.log(rows[rows.length - 1]);
}
