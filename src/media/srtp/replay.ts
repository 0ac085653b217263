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

export function createReplayWindow(size: 64 | 128): ReplayWindow {
  const bits = new Uint32Array(size >>> 5);
  const mask = size - 1;
  let top = -1;

  const isSet = (i: number): boolean => {
    const b = i & mask;
    return (bits[b >>> 5]! & (1 << (b & 31))) !== 0;
  };

  return {
    get top() {
      return top;
    },
    check(index) {
      if (index > top) return true;
      if (top - index >= size) return false;
      return !isSet(index);
    },
    accept(index) {
      if (index > top) {
        if (top < 0 || index - top >= size) bits.fill(0);
        else for (let i = top + 1; i < index; i++) {
          const b = i & mask;
          bits[b >>> 5]! &= ~(1 << (b & 31));
        }
        top = index;
      } else if (top - index >= size) {
        return;
      }
      const b = index & mask;
      bits[b >>> 5]! |= 1 << (b & 31);
    },
  };
}
