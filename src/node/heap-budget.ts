import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeFlags } from './node-flags.js';
import { retainTickShape } from './tick-shape.js';

// How much V8 heap a serving process keeps resident (docs/running.md "Memory", docs/performance.md).
//
// Young generation. V8 grows each of its two semi-spaces from 1 MB to 16 MB, doubling whenever
// enough objects survive a scavenge, and does not give the memory back while the process is busy. A
// proxy keeps every in-flight request alive across scavenges, so start-up and the first seconds of
// traffic grow it to the full 2 x 16 MB: measured, the largest single item of the node's RSS at
// 5,000 req/s. A scavenge costs about the same whatever the semi-space size (the work is copying
// the survivors, not the garbage), so small semi-spaces cost CPU only through how often they fill.
// We keep them at 4 MB while that means a scavenge every 20 ms or more (5,000 req/s: one every
// ~45 ms) and let them grow to 16 MB when the node is busier than that, where throughput matters
// more than a few MB.
//
// Old generation. Until V8's first full collection the old generation may grow to a generous
// start-up limit; at 5,000 req/s the objects the scavenges promote filled it for 100 s (RSS up
// ~0.7 MB/s to 179 MB) before the first full collection left 36 MB. A full collection once the node
// is up and a growth limit of 25% over what survives keep it at 35-55 MB of heap.
//
// `--max-semi-space-size` can only be given on Node's command line, which `evenkeel` does not own
// (`npm start`, systemd units, `node bin/evenkeel.js`). `--semi-space-growth-factor` and
// `--heap-growing-percent` however are read each time V8 resizes, so they can be set while the process
// runs: growth factor 1 holds the current semi-space size, factor 2 lets the next growth double it.
// An operator who sizes the heap with Node flags (or NODE_OPTIONS) is left alone.

/** Semi-space size while filling it takes BUSY_SCAVENGE_INTERVAL_MS or more. */
export const SERVING_SEMI_SPACE_MB = 4;
/** Semi-space size for a busier node (V8's own maximum on 64-bit machines). */
export const BUSY_SEMI_SPACE_MB = 16;
/** A node that fills SERVING_SEMI_SPACE_MB faster than this (on average) counts as busy. */
const BUSY_SCAVENGE_INTERVAL_MS = 20;
/** Weight of the newest scavenge in the average allocation rate. */
const RATE_SMOOTHING = 0.2;
const V8_DEFAULT_GROWTH_FACTOR = 2;
/** After a full collection, the old generation may grow by this much before the next one. */
const OLD_GENERATION_GROWTH_PERCENT = 25;
const MB = 1024 * 1024;

let isOperatorChoice: boolean | undefined;

/** True when the operator sized the heap with Node flags or NODE_OPTIONS. */
function operatorChoseSize(): boolean {
  isOperatorChoice ??= nodeFlags().some((flag) =>
    /^--((max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|heap[-_]growing[-_]percent)\b/.test(flag),
  );
  return isOperatorChoice;
}

function semiSpaceMb(): number {
  const newSpace = v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return newSpace === undefined ? 0 : newSpace.space_size / 2 / MB;
}

function setGrowthFactor(factor: number): void {
  v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/**
 * Keeps the young generation at its initial 1 MB semi-spaces while the process loads its modules:
 * what start-up allocates either lives for the whole process or dies at once, so letting the space
 * grow then would only reserve memory. Call before importing the rest of the program; follow with
 * releaseYoungGeneration() or boundYoungGeneration().
 */
export function holdYoungGeneration(): void {
  if (!operatorChoseSize()) setGrowthFactor(1);
}

/** V8's own growth policy again (for commands other than serve). */
export function releaseYoungGeneration(): void {
  if (!operatorChoseSize()) setGrowthFactor(V8_DEFAULT_GROWTH_FACTOR);
}

/**
 * Steers the semi-space size of a serving process after every garbage collection: toward
 * SERVING_SEMI_SPACE_MB, or BUSY_SEMI_SPACE_MB while the process allocates fast enough to fill
 * SERVING_SEMI_SPACE_MB in under BUSY_SCAVENGE_INTERVAL_MS (on average). We can only let V8 grow the
 * space (it shrinks it itself after a quiet spell), so a node that was busy keeps the larger size
 * until then.
 */
export function boundYoungGeneration(): void {
  if (operatorChoseSize()) return;
  // Busy means allocating faster than SERVING_SEMI_SPACE_MB every BUSY_SCAVENGE_INTERVAL_MS: judged by
  // the allocation rate (semi-space size / time between scavenges), not by the interval alone, which
  // is short for any process while its semi-spaces are still small.
  const busyMbPerMs = SERVING_SEMI_SPACE_MB / BUSY_SCAVENGE_INTERVAL_MS;
  let factor = 0;
  let lastScavengeMs = -1;
  let averageMbPerMs = 0;
  const steer = (entries: PerformanceEntry[]): void => {
    const currentMb = semiSpaceMb();
    for (const entry of entries) {
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR) continue;
      if (lastScavengeMs >= 0 && entry.startTime > lastScavengeMs) {
        const mbPerMs = currentMb / (entry.startTime - lastScavengeMs);
        averageMbPerMs += RATE_SMOOTHING * (mbPerMs - averageMbPerMs);
      }
      lastScavengeMs = entry.startTime;
    }
    const targetMb = averageMbPerMs > busyMbPerMs ? BUSY_SEMI_SPACE_MB : SERVING_SEMI_SPACE_MB;
    // One doubling at a time: V8 also resizes the space itself (its memory reducer shrank it to
    // 0.5 MB after an idle spell, then grew it), so a larger factor computed from a size seen
    // earlier could be applied to a bigger one and overshoot (seen: 2 x 8 MB instead of 2 x 4 MB).
    const next = currentMb > 0 && currentMb * 2 <= targetMb ? 2 : 1;
    if (next === factor) return;
    factor = next;
    setGrowthFactor(next);
  };
  steer([]);
  new PerformanceObserver((list) => steer(list.getEntries())).observe({ entryTypes: ['gc'] });
}

/**
 * One full garbage collection once a serving process is up (on the next tick), and from then on a
 * full collection whenever the old generation has grown 25% past what the last one kept (see the top
 * of this file). Costs one pause of a few tens of milliseconds at start.
 */
export function collectAfterStart(): void {
  if (!operatorChoseSize()) v8.setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  v8.setFlagsFromString('--expose-gc');
  // --expose-gc defines gc() only in contexts created after the flag is set.
  const gc = runInNewContext('gc') as (() => void) | undefined;
  // From inside a nextTick() callback that stays alive: a full collection of an idle process would
  // otherwise leave every later nextTick() on V8's slow path (tick-shape.ts).
  retainTickShape(typeof gc === 'function' ? gc : undefined);
}
