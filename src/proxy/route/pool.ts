// The softswitch pool: several internal targets, the core asks for one per new
// INVITE. Health comes from two sources counted the same way: periodic OPTIONS
// probes (sent by the core, injected here as `probe`) and the outcome of live
// requests (`reportFailure` / `reportSuccess`), so a dead softswitch is noticed by
// the first calls that hit it, not only by the next probe.

import type { Gauge } from 'prom-client';
import type { Random, Transport } from './types.js';
import { drawWeighted, lowestPriorityGroup } from './weighted.js';

export interface PoolTarget {
  readonly id: string;
  readonly host: string;
  readonly port?: number;
  readonly transport: Transport;
  /** lower = preferred; higher groups are used only when every lower one is down or excluded */
  readonly priority: number;
  /** share of the traffic inside its priority group (RFC 2782: 0 = last resort) */
  readonly weight: number;
}

/**
 * Sends one OPTIONS to the target and says whether it is alive (the core decides:
 * any response but 503 usually counts). The signal aborts when the probe times out
 * or the pool stops, so the core can drop the transaction.
 */
export type Probe = (target: PoolTarget, signal: AbortSignal) => Promise<boolean>;

export interface PoolOptions {
  readonly targets: readonly PoolTarget[];
  readonly probe: Probe;
  /** time between the end of one probe and the start of the next, per target; default 10 000 */
  readonly intervalMs?: number;
  /** a probe without an answer after this long is a failure; default 2 000 */
  readonly timeoutMs?: number;
  /** consecutive failures that take an up target down; default 2 */
  readonly downAfter?: number;
  /** consecutive successes that bring a down target back up; default 1 */
  readonly upAfter?: number;
  /** state before the first probe; default true so calls flow at once */
  readonly initialUp?: boolean;
  /** when every non-excluded target is down, offer them anyway rather than nothing; default false */
  readonly fallbackWhenAllDown?: boolean;
  readonly random?: Random;
  readonly onChange?: (id: string, up: boolean) => void;
  /** `palisade_upstream_up{target}`: set to 1/0 at creation and on each change */
  readonly gauge?: Pick<Gauge<'target'>, 'set'>;
}

export interface TargetStatus {
  readonly id: string;
  readonly up: boolean;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
}

export interface Pool {
  /** A target that is up and not in `exclude`, from the most preferred priority group, weighted. */
  pick(exclude?: ReadonlySet<string>): PoolTarget | undefined;
  /** A live request to `id` failed at the transport level or timed out. Unknown ids are ignored. */
  reportFailure(id: string): void;
  /** A live request to `id` got a response. Unknown ids are ignored. */
  reportSuccess(id: string): void;
  isUp(id: string): boolean;
  status(): TargetStatus[];
  /** Begins probing (the first probe of every target starts now). Idempotent. */
  start(): void;
  /** Clears every timer and aborts probes in flight; their late results are ignored. Idempotent. */
  stop(): void;
}

interface TargetState {
  readonly target: PoolTarget;
  up: boolean;
  fails: number;
  oks: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  deadline: ReturnType<typeof setTimeout> | undefined;
  controller: AbortController | undefined;
  /** generation of the probe still unsettled, if any: a new probe never starts while one is */
  inFlight: number | undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

export function createPool(opts: PoolOptions): Pool {
  const intervalMs = opts.intervalMs ?? 10_000;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const downAfter = opts.downAfter ?? 2;
  const upAfter = opts.upAfter ?? 1;
  const random = opts.random ?? Math.random;
  checkOptions(opts.targets, intervalMs, timeoutMs, downAfter, upAfter);

  const states = new Map<string, TargetState>();
  for (const target of opts.targets) {
    states.set(target.id, {
      target,
      up: opts.initialUp ?? true,
      fails: 0,
      oks: 0,
      timer: undefined,
      deadline: undefined,
      controller: undefined,
      inFlight: undefined,
    });
    opts.gauge?.set({ target: target.id }, (opts.initialUp ?? true) ? 1 : 0);
  }

  let running = false;
  // Bumped by stop(): a probe started under an older generation may still settle,
  // and its verdict must neither count nor schedule anything.
  let generation = 0;

  function record(s: TargetState, ok: boolean): void {
    if (ok) {
      s.fails = 0;
      s.oks++;
      if (!s.up && s.oks >= upAfter) setUp(s, true);
    } else {
      s.oks = 0;
      s.fails++;
      if (s.up && s.fails >= downAfter) setUp(s, false);
    }
  }

  function setUp(s: TargetState, up: boolean): void {
    s.up = up;
    opts.gauge?.set({ target: s.target.id }, up ? 1 : 0);
    opts.onChange?.(s.target.id, up);
  }

  function schedule(s: TargetState, gen: number): void {
    if (!running || gen !== generation) return;
    s.timer = setTimeout(() => tick(s, gen), intervalMs);
    s.timer.unref?.();
  }

  function tick(s: TargetState, gen: number): void {
    s.timer = undefined;
    if (!running || gen !== generation) return;
    if (s.inFlight !== undefined) {
      // The last probe outlived its timeout and a whole interval: the core's
      // transaction is stuck. That is a failure too, but starting another probe
      // would overlap it, so wait for the next interval instead.
      if (s.inFlight === gen) record(s, false);
      schedule(s, gen);
      return;
    }
    const controller = new AbortController();
    s.controller = controller;
    s.inFlight = gen;
    let decided = false;
    const decide = (ok: boolean): void => {
      if (decided) return;
      decided = true;
      if (s.deadline) clearTimeout(s.deadline);
      s.deadline = undefined;
      if (s.controller === controller) s.controller = undefined;
      if (gen !== generation) return;
      record(s, ok);
      schedule(s, gen);
    };
    s.deadline = setTimeout(() => {
      s.deadline = undefined;
      controller.abort();
      decide(false);
    }, timeoutMs);
    s.deadline.unref?.();

    let pending: Promise<boolean>;
    try {
      pending = Promise.resolve(opts.probe(s.target, controller.signal));
    } catch {
      pending = Promise.resolve(false);
    }
    pending.then(
      (ok) => settle(ok === true),
      () => settle(false),
    );
    function settle(ok: boolean): void {
      if (s.inFlight === gen) s.inFlight = undefined;
      decide(ok);
    }
  }

  return {
    pick(exclude = EMPTY) {
      const open: PoolTarget[] = [];
      for (const s of states.values()) if (s.up && !exclude.has(s.target.id)) open.push(s.target);
      if (open.length === 0 && opts.fallbackWhenAllDown) {
        for (const s of states.values()) if (!exclude.has(s.target.id)) open.push(s.target);
      }
      return drawWeighted(lowestPriorityGroup(open), random);
    },
    reportFailure(id) {
      const s = states.get(id);
      if (s) record(s, false);
    },
    reportSuccess(id) {
      const s = states.get(id);
      if (s) record(s, true);
    },
    isUp(id) {
      return states.get(id)?.up ?? false;
    },
    status() {
      return [...states.values()].map((s) => ({
        id: s.target.id,
        up: s.up,
        consecutiveFailures: s.fails,
        consecutiveSuccesses: s.oks,
      }));
    },
    start() {
      if (running) return;
      running = true;
      for (const s of states.values()) tick(s, generation);
    },
    stop() {
      if (!running) return;
      running = false;
      generation++;
      for (const s of states.values()) {
        if (s.timer) clearTimeout(s.timer);
        if (s.deadline) clearTimeout(s.deadline);
        s.timer = undefined;
        s.deadline = undefined;
        s.controller?.abort();
        s.controller = undefined;
      }
    },
  };
}

// Config is validated by the schema; these catch a caller wiring the pool wrongly.
function checkOptions(
  targets: readonly PoolTarget[],
  intervalMs: number,
  timeoutMs: number,
  downAfter: number,
  upAfter: number,
): void {
  const ids = new Set<string>();
  for (const t of targets) {
    if (ids.has(t.id)) throw new Error(`pool: duplicate target id ${t.id}`);
    ids.add(t.id);
    if (!Number.isFinite(t.priority)) throw new Error(`pool: target ${t.id} priority must be a number`);
    if (!Number.isFinite(t.weight) || t.weight < 0) throw new Error(`pool: target ${t.id} weight must be >= 0`);
  }
  if (!(intervalMs > 0) || !(timeoutMs > 0)) throw new Error('pool: intervalMs and timeoutMs must be > 0');
  if (!(Number.isInteger(downAfter) && downAfter >= 1)) throw new Error('pool: downAfter must be an integer >= 1');
  if (!(Number.isInteger(upAfter) && upAfter >= 1)) throw new Error('pool: upAfter must be an integer >= 1');
}
