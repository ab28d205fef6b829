import type { LatencyRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import { wholeNumber } from '../finding-text.js';
import { windowSeconds } from '../rule-window.js';
import type { PoolLatency } from './pool-latency.js';
import { rounded, type PoolView } from './pool-view.js';

// Absolute latency: the p95 or p99 of a backend, or of the whole pool, above its limit, once there
// are enough requests in the window for a quantile to mean something. Quantiles are estimated from
// telemetry's latency histograms (within one bucket of the truth, as Prometheus' histogram_quantile).

export function evaluateLatency(pool: PoolView, config: LatencyRuleConfig, poolLatency: PoolLatency): RuleFinding[] {
  const seconds = windowSeconds(config.window);
  const findings: RuleFinding[] = [];
  for (const window of pool.window(seconds)) {
    const finding = judge(pool.name, window.id, window.requests, window.latencyP95Ms, window.latencyP99Ms, config, seconds);
    if (finding !== undefined) findings.push(finding);
  }
  const whole = judge(pool.name, undefined, poolLatency.requests, poolLatency.p95Ms, poolLatency.p99Ms, config, seconds);
  if (whole !== undefined) findings.push(whole);
  return findings;
}

function judge(
  poolName: string,
  backend: string | undefined,
  requests: number,
  p95Ms: number,
  p99Ms: number,
  config: LatencyRuleConfig,
  seconds: number,
): RuleFinding | undefined {
  if (requests === 0 || requests < config.min_requests) return undefined;
  const isP95Over = p95Ms > config.p95_ms;
  const isP99Over = p99Ms > config.p99_ms;
  if (!isP95Over && !isP99Over) return undefined;
  const subject = backend ?? `pool ${poolName}`;
  const over = isP95Over
    ? `p95 is ${wholeNumber(p95Ms)} ms (limit ${wholeNumber(config.p95_ms)} ms), p99 ${wholeNumber(p99Ms)} ms`
    : `p99 is ${wholeNumber(p99Ms)} ms (limit ${wholeNumber(config.p99_ms)} ms), p95 ${wholeNumber(p95Ms)} ms`;
  return {
    rule: 'latency',
    severity: 'warning',
    pool: poolName,
    backend,
    backends: backend === undefined ? [] : [backend],
    summary: `${subject}: ${over} over the last ${seconds} s.`,
    evidence: { p95Ms: rounded(p95Ms, 1), p99Ms: rounded(p99Ms, 1), p95LimitMs: config.p95_ms, p99LimitMs: config.p99_ms, requests, windowSeconds: seconds },
    forMs: config.for,
  };
}
