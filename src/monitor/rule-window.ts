import { RING_SECONDS } from '../telemetry/index.js';

// Config windows are milliseconds; telemetry keeps whole seconds, at most RING_SECONDS of them.

/** Whole seconds covering `windowMs`, between 1 and what telemetry keeps. */
export function windowSeconds(windowMs: number): number {
  return Math.min(RING_SECONDS, Math.max(1, Math.ceil(windowMs / 1000)));
}
