import { CounterHistory } from './counter-history.js';
import { ExpectationHistory } from './expectation-history.js';
import { InflightHistory } from './inflight-history.js';
import { TrafficBaseline } from './traffic-baseline.js';

/**
 * What the rules remember between evaluations: the traffic baseline, in-flight samples per backend,
 * readings of the cumulative proxy-error and health-failure counters, and when each pool's expected
 * shares last changed. One per monitor; evaluateRules updates it.
 */
export class RuleState {
  readonly trafficBaseline = new TrafficBaseline();
  readonly inflight = new InflightHistory();
  readonly poolFailures = new CounterHistory();
  /** BackendState.healthDowns by "pool/backend" (flapping-rule.ts). */
  readonly healthDowns = new CounterHistory();
  readonly expectations = new ExpectationHistory();

  /** Current total rate and its baseline (undefined while warming up), for diagnosis and status. */
  traffic(): { rps: number; baselineRps: number | undefined } {
    return this.trafficBaseline.current();
  }
}
