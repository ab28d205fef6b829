import type { PoolMembers } from '../../balance/index.js';
import type { PoolConfig } from '../../config/index.js';
import type { BackendWindow, Telemetry } from '../../telemetry/index.js';

/** One pool as the rules see it in one evaluation: its members, config, expected shares and windows. */
export class PoolView {
  readonly name: string;
  readonly members: PoolMembers;
  readonly config: PoolConfig;
  /** Expected share by backend id (expected-shares.ts). */
  readonly expected: ReadonlyMap<string, number>;
  /** Since when (epoch ms) `expected` has held; -Infinity when unknown (expectation-history.ts). */
  readonly expectedSinceMs: number;
  readonly nowMs: number;
  private readonly telemetry: Telemetry;
  /** Several rules often read the same window length: read each once per evaluation. */
  private readonly windowsBySeconds = new Map<number, readonly BackendWindow[]>();

  constructor(members: PoolMembers, config: PoolConfig, expected: ReadonlyMap<string, number>, telemetry: Telemetry, nowMs: number, expectedSinceMs = Number.NEGATIVE_INFINITY) {
    this.name = members.name;
    this.members = members;
    this.config = config;
    this.expected = expected;
    this.expectedSinceMs = expectedSinceMs;
    this.telemetry = telemetry;
    this.nowMs = nowMs;
  }

  /** Every backend ever counted in the pool over the last `seconds` (the second holding now included). */
  window(seconds: number): readonly BackendWindow[] {
    let windows = this.windowsBySeconds.get(seconds);
    if (windows === undefined) {
      windows = this.telemetry.window(this.name, seconds, this.nowMs);
      this.windowsBySeconds.set(seconds, windows);
    }
    return windows;
  }

  /** Backend ids of the members first (config order), then ids that only the telemetry still knows (removed backends). */
  backendIds(windows: readonly BackendWindow[]): string[] {
    const ids = this.members.backends.map((backend) => backend.id);
    const known = new Set(ids);
    for (const window of windows) if (!known.has(window.id)) ids.push(window.id);
    return ids;
  }
}

/** Rounds shares and ratios kept in evidence, so alerts and audit events stay readable. */
export function rounded(value: number, digits = 4): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
