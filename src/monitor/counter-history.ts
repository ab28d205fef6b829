// Telemetry's proxy errors (answers without a backend: no healthy backend, queue full) are cumulative
// counters, not per-second rings. Remembering their value at every evaluation turns them into a
// count over a window: the value now minus the value at the window's start.

interface CounterReading {
  readonly atMs: number;
  readonly total: number;
}

export class CounterHistory {
  private readonly readingsByKey = new Map<string, CounterReading[]>();

  /**
   * Records `total` for `key` and returns how much it grew over the last `windowMs` (since the
   * first reading when the history is shorter than the window). Keeps readings for `keepMs`.
   */
  increase(key: string, nowMs: number, total: number, windowMs: number, keepMs: number): number {
    let readings = this.readingsByKey.get(key);
    if (readings === undefined) {
      readings = [];
      this.readingsByKey.set(key, readings);
    }
    // A counter that went down was replaced (a backend removed and added back between two
    // evaluations starts its count at 0 again): start over rather than report nothing for a window.
    if (readings.length > 0 && total < readings[readings.length - 1].total) readings.length = 0;
    readings.push({ atMs: nowMs, total });
    let stale = 0;
    // Keep one reading at or before the oldest window start, so the window always has a baseline.
    while (stale + 1 < readings.length && readings[stale + 1].atMs <= nowMs - keepMs) stale++;
    if (stale > 0) readings.splice(0, stale);
    let start = readings[0];
    for (const reading of readings) {
      if (reading.atMs > nowMs - windowMs) break;
      start = reading;
    }
    return Math.max(0, total - start.total);
  }

  retain(keys: ReadonlySet<string>): void {
    for (const key of this.readingsByKey.keys()) if (!keys.has(key)) this.readingsByKey.delete(key);
  }
}
