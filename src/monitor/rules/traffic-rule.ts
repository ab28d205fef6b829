import type { TrafficRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import { ratio, wholeNumber } from '../finding-text.js';
import { rounded } from './pool-view.js';

// Traffic: the node's total request rate against its own baseline (traffic-baseline.ts), so that
// "more traffic" and "traffic in the wrong place" are told apart: a 3x even spike is a spike and no
// skew, the postmortem's skew at a normal rate is a skew and no spike. Node-wide: pool undefined.

export function evaluateTraffic(rps: number, baselineRps: number | undefined, config: TrafficRuleConfig): RuleFinding | undefined {
  if (baselineRps === undefined || baselineRps < config.min_rps || baselineRps <= 0) return undefined;
  const factor = rps / baselineRps;
  const isSpike = factor > config.spike_ratio;
  const isDrop = factor < config.drop_ratio;
  if (!isSpike && !isDrop) return undefined;
  const summary = isSpike
    ? `Traffic spike: ${wholeNumber(rps)} rps, ${ratio(factor)}x the baseline of ${wholeNumber(baselineRps)} rps.`
    : `Traffic drop: ${wholeNumber(rps)} rps, ${Math.round(factor * 100)}% of the baseline of ${wholeNumber(baselineRps)} rps.`;
  return {
    rule: isSpike ? 'traffic_spike' : 'traffic_drop',
    severity: 'warning',
    pool: undefined,
    backend: undefined,
    backends: [],
    summary,
    evidence: { rps: rounded(rps, 1), baselineRps: rounded(baselineRps, 1), ratio: rounded(factor, 2) },
    forMs: config.for,
  };
}
