// Replay protection, RFC 3711 §3.3.2: a sliding window of `size` packet
// indices below the highest one accepted. The bitmap is a ring indexed by
// index mod size, so advancing the window clears bits instead of shifting.
// Indices are up to 48 bits: plain numbers hold them exactly.

export interface ReplayWindow {
  /** highest index accepted so far, -1 before the first */
  readonly top: number;
  /** true when `index` is neither already accepted nor older than the window */
  check(index: number): boolean;
  /** record `index` as accepted (call only after it authenticated) */
  accept(index: number): void;
}

// A class, not closures: the relay touches one window per packet across
// hundreds of streams, mostly with cold caches, and every closure context is
// one more object to fetch from memory.
class Window implements ReplayWindow {
  top = -1;
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(private readonly size: number) {
    this.bits = new Uint32Array(size >>> 5);
    this.mask = size - 1;
  }

  check(index: number): boolean {
    const top = this.top;
    if (index > top) return true;
    if (top - index >= this.size) return false;
    const b = index & this.mask;
    return (this.bits[b >>> 5]! & (1 << (b & 31))) === 0;
  }

  accept(index: number): void {
    const top = this.top;
    const bits = this.bits;
    const mask = this.mask;
    if (index > top) {
      if (top < 0 || index - top >= this.size) bits.fill(0);
      else
        for (let i = top + 1; i < index; i++) {
          const b = i & mask;
          bits[b >>> 5]! &= ~(1 << (b & 31));
        }
      this.top = index;
    } else if (top - index >= this.size) {
      return;
    }
    const b = index & mask;
    bits[b >>> 5]! |= 1 << (b & 31);
  }
}

export function createReplayWindow(size: 64 | 128): ReplayWindow {
  return new Window(size);
}
