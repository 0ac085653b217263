// A local fixed-window counter per key, bounded: for counts that need not be shared
// by the fleet (malformed packets per source), so the parser-failure path never waits on I/O.

export interface WindowCounter {
  /** increments key and returns the count in its current window */
  incr(key: string): number;
  readonly size: number;
}

export function createWindowCounter(windowMs: number, maxKeys: number, now: () => number): WindowCounter {
  const m = new Map<string, { n: number; until: number }>();
  return {
    incr(key) {
      const t = now();
      const e = m.get(key);
      if (e !== undefined && e.until > t) return ++e.n;
      if (e !== undefined) m.delete(key);
      if (m.size >= maxKeys) {
        const oldest = m.keys().next();
        if (oldest.done !== true) m.delete(oldest.value);
      }
      m.set(key, { n: 1, until: t + windowMs });
      return 1;
    },
    get size() {
      return m.size;
    },
  };
}
