import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { monitorSchema, poolSchema, type MonitorConfig, type PoolConfig } from '../../src/config/index.js';
import { evaluateRules, RuleState } from '../../src/monitor/evaluate-rules.js';
import type { AlertRule, RuleFinding } from '../../src/monitor/alert.js';
import { Telemetry } from '../../src/telemetry/index.js';
import { seededRandom } from '../../src/control/index.js';

export { seededRandom };

// A pool, a real Telemetry on a fake clock and the rules' state, for driving evaluateRules second by
// second without a network: requests are recorded straight into telemetry as the proxy records them.

export interface RulesBenchOptions {
  weights?: readonly number[];
  /** Extra keys of the pool config (persistence, algorithm...). */
  pool?: Record<string, unknown>;
  /** The monitor: section as written in YAML (durations as strings). */
  monitor?: Record<string, unknown>;
}

export interface RequestOptions {
  status?: number;
  latencyMs?: number;
  isPinned?: boolean;
  keyHash?: number;
}

export class RulesBench {
  /** Starts on a whole second, so each tick covers exactly one telemetry second. */
  nowMs = 1_800_000_000_000;
  readonly telemetry = new Telemetry({ now: () => this.nowMs });
  readonly members: PoolMembers;
  readonly poolConfig: PoolConfig;
  readonly monitor: MonitorConfig;
  readonly state = new RuleState();
  /** In-flight override by backend id; BackendState.inflight otherwise. */
  readonly inflight = new Map<string, number>();

  constructor(options: RulesBenchOptions = {}) {
    const weights = options.weights ?? [100, 100, 100, 100, 100];
    this.poolConfig = poolSchema.parse({
      ...options.pool,
      backends: weights.map((weight, i) => ({ id: `web-${i + 1}`, url: `http://10.0.0.${i + 1}:8000`, weight })),
    });
    this.members = new PoolMembers(
      'portal',
      this.poolConfig.backends.map((backend) => new BackendState('portal', backend.id, backend.url, backend.weight)),
    );
    this.monitor = monitorSchema.parse(options.monitor ?? {});
  }

  backend(id: string): BackendState {
    const backend = this.members.backends.find((candidate) => candidate.id === id);
    if (backend === undefined) throw new Error(`no backend ${id}`);
    return backend;
  }

  /** Records one finished request to `backend` at the current time. */
  request(backend: BackendState, options: RequestOptions = {}): void {
    this.telemetry.recordRequest(backend, options.status ?? 200, options.latencyMs ?? 5, 100, 1000, options.isPinned ?? false, false);
    if (options.keyHash !== undefined) this.telemetry.recordPick('portal', this.nowMs, options.keyHash, backend.id, 1, options.isPinned ?? false, false);
  }

  /**
   * One second of traffic: `counts[i]` requests to backend i, spread over the second, then the
   * clock moves to the next second and the rules are evaluated at its start... of the last
   * millisecond of this one, so the window holds the second just filled.
   */
  second(counts: readonly number[], options: RequestOptions = {}): RuleFinding[] {
    const start = this.nowMs;
    let total = 0;
    for (const count of counts) total += count;
    let n = 0;
    for (let i = 0; i < counts.length; i++) {
      for (let k = 0; k < counts[i]; k++) {
        this.nowMs = start + Math.floor((n++ * 1000) / Math.max(1, total));
        this.request(this.members.backends[i], options);
      }
    }
    this.nowMs = start + 999;
    const findings = this.evaluate();
    this.nowMs = start + 1000;
    return findings;
  }

  /** lagMs: the counted windows end that far before now, as in a cluster primary or a fleet's monitor leader. */
  evaluate(lagMs = 0): RuleFinding[] {
    return evaluateRules(
      { telemetry: this.telemetry, pools: [{ members: this.members, config: this.poolConfig }], inflightOf: (_pool, backend) => this.inflight.get(backend.id) ?? backend.inflight },
      this.monitor,
      this.state,
      this.nowMs - lagMs,
      this.nowMs,
    );
  }
}

/** Counts per backend that sum to `total`, in proportion to `shares` (largest remainders). */
export function split(total: number, shares: readonly number[]): number[] {
  const sum = shares.reduce((a, b) => a + b, 0);
  const exact = shares.map((share) => (total * share) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((value, i) => [value - Math.floor(value), i]).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]++;
  }
  return counts;
}

export function ofRule(findings: readonly RuleFinding[], rule: AlertRule): RuleFinding[] {
  return findings.filter((finding) => finding.rule === rule);
}
