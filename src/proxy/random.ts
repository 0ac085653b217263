// Random tokens for branches, tags, Call-IDs and contact users. They must be
// unpredictable (a guessed branch lets an off-path attacker forge responses), but a
// randomBytes call per token costs more than the rest of relaying a message: draw
// them from a pool refilled from the CSPRNG in 4 KiB blocks.
import { randomFillSync } from 'node:crypto';

const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

function take(n: number): number {
  if (offset + n > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  const at = take(bytes);
  return POOL.toString('hex', at, at + bytes);
}

/** `bytes` random bytes as base64url (no padding): SIP token characters only. */
export function randomToken(bytes: number): string {
  const at = take(bytes);
  return POOL.toString('base64url', at, at + bytes);
}
