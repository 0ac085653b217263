// RFC 2782 server selection, shared by the softswitch pool (pick one target) and
// SRV resolution (order every record). Lower priority is preferred; inside one
// priority, a record is chosen with probability proportional to its weight, and a
// weight-0 record only gets a very small chance, so operators can mark standbys.

import type { Random } from './types.js';

export interface Weighted {
  readonly priority: number;
  readonly weight: number;
}

/**
 * Chooses one entry of a single priority group. Follows the RFC's running-sum
 * draw: weight-0 entries are placed first and the draw is over [0, sum], so they
 * win only when the draw is exactly 0 (or when every weight is 0).
 */
export function drawWeighted<T extends Weighted>(group: readonly T[], random: Random): T | undefined {
  if (group.length <= 1) return group[0];
  const ordered = [...group.filter((e) => e.weight <= 0), ...group.filter((e) => e.weight > 0)];
  let sum = 0;
  for (const e of ordered) sum += Math.max(0, e.weight);
  // All standbys: no weight says anything, so share evenly rather than always take the first.
  if (sum === 0) return group[Math.min(group.length - 1, Math.floor(random() * group.length))];
  const draw = Math.min(sum, Math.floor(random() * (sum + 1)));
  let running = 0;
  for (const e of ordered) {
    running += Math.max(0, e.weight);
    if (running >= draw) return e;
  }
  return ordered[ordered.length - 1];
}

/** The lowest-priority group of `entries` (all entries sharing the smallest priority value). */
export function lowestPriorityGroup<T extends Weighted>(entries: Iterable<T>): T[] {
  let best = Infinity;
  let group: T[] = [];
  for (const e of entries) {
    if (e.priority < best) {
      best = e.priority;
      group = [e];
    } else if (e.priority === best) group.push(e);
  }
  return group;
}

/** The whole RFC 2782 order: priorities ascending, weighted draws without replacement inside each. */
export function orderWeighted<T extends Weighted>(entries: readonly T[], random: Random): T[] {
  const byPriority = new Map<number, T[]>();
  for (const e of entries) {
    const g = byPriority.get(e.priority);
    if (g) g.push(e);
    else byPriority.set(e.priority, [e]);
  }
  const out: T[] = [];
  for (const p of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...byPriority.get(p)!];
    while (left.length > 0) {
      const chosen = drawWeighted(left, random)!;
      out.push(chosen);
      left.splice(left.indexOf(chosen), 1);
    }
  }
  return out;
}
