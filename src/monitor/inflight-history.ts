// In-flight requests per backend, sampled once per evaluation and averaged over a window. A count of
// requests says nothing about how long they stay: sticky sessions can send a backend its fair share
// of requests that are each ten times heavier, which only the in-flight load shows.

interface InflightSample {
  readonly atMs: number;
  readonly byBackend: ReadonlyMap<string, number>;
}

export class InflightHistory {
  private readonly samplesByPool = new Map<string, InflightSample[]>();

  /** Records one sample of a pool and forgets samples older than `keepMs`. */
  record(pool: string, nowMs: number, byBackend: ReadonlyMap<string, number>, keepMs: number): void {
    let samples = this.samplesByPool.get(pool);
    if (samples === undefined) {
      samples = [];
      this.samplesByPool.set(pool, samples);
    }
    samples.push({ atMs: nowMs, byBackend });
    let stale = 0;
    while (stale < samples.length && samples[stale].atMs <= nowMs - keepMs) stale++;
    if (stale > 0) samples.splice(0, stale);
  }

  /** Average in-flight per backend over the samples of the last `windowMs`, and how many samples that was. */
  average(pool: string, nowMs: number, windowMs: number): { byBackend: Map<string, number>; samples: number } {
    const sums = new Map<string, number>();
    let count = 0;
    for (const sample of this.samplesByPool.get(pool) ?? []) {
      if (sample.atMs <= nowMs - windowMs || sample.atMs > nowMs) continue;
      count++;
      for (const [id, inflight] of sample.byBackend) sums.set(id, (sums.get(id) ?? 0) + inflight);
    }
    for (const [id, sum] of sums) sums.set(id, sum / count);
    return { byBackend: sums, samples: count };
  }

  /** Forgets pools no longer configured. */
  retain(pools: ReadonlySet<string>): void {
    for (const pool of this.samplesByPool.keys()) if (!pools.has(pool)) this.samplesByPool.delete(pool);
  }
}
