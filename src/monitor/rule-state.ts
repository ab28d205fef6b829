import { CounterHistory } from './counter-history.js';
import { InflightHistory } from './inflight-history.js';
import { TrafficBaseline } from './traffic-baseline.js';

/**
 * What the rules remember between evaluations: the traffic baseline, in-flight samples per backend,
 * and readings of the cumulative proxy-error counters. One per monitor; evaluateRules updates it.
 */
export class RuleState {
  readonly trafficBaseline = new TrafficBaseline();
  readonly inflight = new InflightHistory();
  readonly poolFailures = new CounterHistory();

  /** Current total rate and its baseline (undefined while warming up), for diagnosis and status. */
  traffic(): { rps: number; baselineRps: number | undefined } {
    return this.trafficBaseline.current();
  }
}
