import os from 'node:os';
import v8 from 'node:v8';
import { nodeFlags } from './node-flags.js';

// Full garbage collections of a process that may run on one CPU only (`taskset`, a cpuset, a
// container given one core). V8 marks the old generation concurrently: helper threads walk the heap
// while JavaScript runs, which is free where another core is idle. On one CPU those helpers can only
// run instead of the event loop, and even 10 nice levels below it (thread-priority.ts) the kernel still
// gives them turns while requests wait. Without concurrent marking V8 marks in small
// incremental steps on the event loop's own thread, between callbacks, and finishes in the final pause
// as before. Measured at 5,000 req/s with the node pinned to one core, 25 interleaved rounds of 20 s in
// five runs (docs/performance.md, 2026-12-07): p99 median 4.3 ms against 5.4 ms with concurrent
// marking, worst round 12.0 against 55.6 ms, lower in 19 rounds of 25 (one run of 5 went the other
// way throughout); the same CPU and RSS. An operator who chose a marking mode with Node flags (or
// NODE_OPTIONS) is left alone.

const OPERATOR_FLAG = /^--(no[-_])?(concurrent[-_]marking|single[-_]threaded[-_]gc|single[-_]threaded)\b/;

/** True when marking should stay on the event loop's thread: one CPU, and no operator's choice. */
export function shouldMarkOnEventLoop(cpus: number, flags: readonly string[]): boolean {
  return cpus <= 1 && !flags.some((flag) => OPERATOR_FLAG.test(flag));
}

/** Turns V8's concurrent marking off when this process can use one CPU only (see the top of this file). */
export function markOnEventLoopWhenAlone(): boolean {
  if (!shouldMarkOnEventLoop(os.availableParallelism(), nodeFlags())) return false;
  v8.setFlagsFromString('--no-concurrent-marking');
  return true;
}
