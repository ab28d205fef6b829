import { readdirSync } from 'node:fs';
import os from 'node:os';

// The event loop's thread comes first. Node runs V8's garbage collector partly on helper threads
// (concurrent marking and sweeping) and file, DNS and crypto work on libuv's pool. Where they share a
// CPU with the event loop (one worker per core, or a process pinned to one core) the kernel gives
// them equal turns, and a full collection's helpers then took the CPU from the event loop for 20-60
// ms at a time: at 5,000 req/s on one core, p99.9 25-45 ms. With the helpers 10 nice levels below the
// event loop, they run in its idle time: p99.9 6.6-6.9 ms, p99 3.2-3.4 ms (docs/performance.md).
// They are not starved: the event loop is idle most of the time below saturation, and V8's main
// thread does the GC work itself when its helpers lag. Linux only (per-thread nice via /proc).

/** How many nice levels below the event loop the other threads of the process run. */
export const HELPER_NICE_OFFSET = 10;
const MAX_NICE = 19;
/** Threads are started lazily (libuv's pool on first use): look again this often. */
const RESCAN_MS = 10_000;

function lowerHelpers(): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return; // not Linux
  }
  const target = Math.min(MAX_NICE, os.getPriority(process.pid) + HELPER_NICE_OFFSET);
  for (const name of tids) {
    const tid = Number(name);
    if (tid === process.pid) continue;
    try {
      if (os.getPriority(tid) < target) os.setPriority(tid, target);
    } catch {
      // The thread ended between the listing and now.
    }
  }
}

/** Runs every thread of this process but the event loop's below it, now and every RESCAN_MS. */
export function preferEventLoopThread(): void {
  lowerHelpers();
  setInterval(lowerHelpers, RESCAN_MS).unref();
}
