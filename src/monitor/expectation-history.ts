// When each pool's expected shares last changed. A weight change, a backend turning unhealthy or a
// drain changes what every backend should get at once, while the telemetry window still holds the
// traffic the old expectation produced: judging that window against the new shares reports a skew
// that only exists in the arithmetic (bench:detect saw it: a legitimate 4x weight change under load
// fired "web-3, web-4 and web-5 carry 46%, expected 27%" and was rolled back). So the skew rules judge
// only whole seconds after the latest material change; until enough requests arrive there, they wait.
//
// "Material": some backend's share moved by more than MATERIAL_SHARE_CHANGE of the pool, or by more
// than MATERIAL_RELATIVE_CHANGE of itself (and at least a hundredth), from the expectation the window
// was last restarted for; the members changing counts too. A slow-start ramp moves shares a little
// every second and restarts the window only each time its drift adds up.

const MATERIAL_SHARE_CHANGE = 0.05;
const MATERIAL_RELATIVE_CHANGE = 0.1;

interface Expectation {
  readonly shares: ReadonlyMap<string, number>;
  readonly sinceMs: number;
}

export class ExpectationHistory {
  private readonly byPool = new Map<string, Expectation>();

  /**
   * Notes the pool's expected shares now; returns since when (epoch ms) the expectation has held.
   * The first note of a pool returns -Infinity: the monitor does not know what came before it started.
   */
  note(pool: string, shares: ReadonlyMap<string, number>, nowMs: number): number {
    const previous = this.byPool.get(pool);
    if (previous === undefined) {
      this.byPool.set(pool, { shares: new Map(shares), sinceMs: Number.NEGATIVE_INFINITY });
      return Number.NEGATIVE_INFINITY;
    }
    if (!isMaterialChange(previous.shares, shares)) return previous.sinceMs;
    this.byPool.set(pool, { shares: new Map(shares), sinceMs: nowMs });
    return nowMs;
  }

  /** Forgets pools no longer configured. */
  retain(pools: ReadonlySet<string>): void {
    for (const pool of this.byPool.keys()) if (!pools.has(pool)) this.byPool.delete(pool);
  }
}

function isMaterialChange(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): boolean {
  if (before.size !== after.size) return true;
  for (const [id, share] of after) {
    const old = before.get(id);
    if (old === undefined) return true;
    const moved = Math.abs(share - old);
    if (moved > MATERIAL_SHARE_CHANGE || (moved > 0.01 && moved > MATERIAL_RELATIVE_CHANGE * old)) return true;
  }
  return false;
}

/**
 * How many whole seconds of telemetry a rule may judge: at most `windowSeconds`, and only the seconds
 * after the one in which the expectation last changed (the second holding now included).
 */
export function steadySeconds(windowSeconds: number, expectedSinceMs: number, nowMs: number): number {
  if (!Number.isFinite(expectedSinceMs)) return windowSeconds;
  return Math.max(0, Math.min(windowSeconds, Math.floor(nowMs / 1000) - Math.floor(expectedSinceMs / 1000)));
}
