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
 * Chooses one entry of a single priority group. RFC 2782's running-sum draw over
 * [0, sum] gives weight-0 entries (placed first) the draw 0 alone, i.e. a 1/(sum+1)
 * chance. Taken literally it also hands that extra slot to the first weighted entry
 * when no weight-0 entry exists, skewing shares; so the slot 0 exists only when a
 * weight-0 entry does, and weighted entries get exactly weight/sum of the rest.
 */
export function drawWeighted<T extends Weighted>(group: readonly T[], random: Random): T | undefined {
  if (group.length <= 1) return group[0];
  let sum = 0;
  let standby: T | undefined;
  for (const e of group) {
    if (e.weight > 0) sum += e.weight;
    else standby ??= e;
  }
  // All standbys: no weight says anything, so share evenly rather than always take the first.
  if (sum === 0) return group[Math.min(group.length - 1, Math.floor(random() * group.length))];
  const zeroSlot = standby ? 1 : 0;
  const draw = Math.floor(random() * (sum + zeroSlot)) + 1 - zeroSlot; // in [0, sum] or [1, sum]
  if (draw <= 0 && standby) return standby;
  let running = 0;
  let last: T | undefined;
  for (const e of group) {
    if (e.weight <= 0) continue;
    running += e.weight;
    last = e;
    if (running >= draw) return e;
  }
  return last; // only reached if random() returned 1, which it must not
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
