// The wall-clock time (Date.now()'s scale) of a performance.now() reading, for the request sample,
// without reading the wall clock again per request. performance.timeOrigin + performance.now() is
// fixed when the process starts: once the system clock is stepped (NTP correcting a VM's clock after
// boot, a VM resumed from a snapshot), it stays off by the step for the life of the process, and the
// sampled requests would fall outside the windows the monitor and impact simulations ask for (all of
// them, after a step of minutes). The offset between the two clocks is read again once a second, so
// a step shows in the sample within a second.

const REANCHOR_INTERVAL_MS = 1000;

let offsetMs = Date.now() - performance.now();
let timer: NodeJS.Timeout | undefined;

function reanchor(): void {
  offsetMs = Date.now() - performance.now();
}

/** Date.now() time of `monotonicMs`, a performance.now() reading of this process. */
export function wallClockMs(monotonicMs: number): number {
  if (timer === undefined) {
    // Started on first use, not at import: a process that never proxies keeps no timer.
    timer = setInterval(reanchor, REANCHOR_INTERVAL_MS);
    timer.unref();
  }
  return offsetMs + monotonicMs;
}
