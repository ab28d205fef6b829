import type { BackendState, PoolMembers } from '../balance/index.js';
import type { MonitorConfig, PoolConfig } from '../config/index.js';
import type { Telemetry } from '../telemetry/index.js';
import type { RuleFinding } from './alert.js';
import { expectedSharesOf } from './expected-shares.js';
import { RuleState } from './rule-state.js';
import { windowSeconds } from './rule-window.js';
import { evaluateCapacity } from './rules/capacity-rule.js';
import { evaluateErrors, POOL_FAILURE_CODES } from './rules/error-rule.js';
import { evaluateFlapping } from './rules/flapping-rule.js';
import { evaluateInflightSkew } from './rules/inflight-skew-rule.js';
import { evaluateLatency } from './rules/latency-rule.js';
import { evaluatePersistence } from './rules/persistence-rule.js';
import { poolLatencyOf } from './rules/pool-latency.js';
import { PoolView } from './rules/pool-view.js';
import { evaluateRelativeLatency } from './rules/relative-latency-rule.js';
import { evaluateSkew } from './rules/skew-rule.js';
import { evaluateTraffic } from './rules/traffic-rule.js';

// One evaluation of every rule over the telemetry windows: synchronous, no I/O, once per tick, and
// proportional to pools × backends × window seconds (never to requests, except the persistence rule
// which reads the bounded request sample). Each rule lives in rules/ and says what it compares and why.

export { RuleState } from './rule-state.js';

export interface MonitoredPool {
  readonly members: PoolMembers;
  readonly config: PoolConfig;
}

export interface MonitorInput {
  readonly telemetry: Telemetry;
  readonly pools: Iterable<MonitoredPool>;
  /** In-flight requests to a backend now (a cluster primary sums its workers': telemetry.workerInflight(pool,id) ?? backend.inflight). */
  readonly inflightOf: (pool: string, backend: BackendState) => number;
}

/**
 * One evaluation: every condition that holds now. Synchronous, no I/O; called once per tick.
 * `nowMs` ends the counted windows, which a cluster primary or a fleet's monitor leader reads a few
 * seconds in the past (until every worker or node has reported them). `sampleNowMs` ends the
 * persistence rule's window: the request sample holds the newest picks as they happen (at most
 * REQUEST_SAMPLE_CAPACITY per pool, so a busy pool's sample spans only the last second or two) and
 * would have nothing left in a window that ends seconds ago. (A fleet's monitor leader reads the key
 * counts the nodes published instead, which like its counts end a few seconds back.)
 */
export function evaluateRules(input: MonitorInput, config: MonitorConfig, state: RuleState, nowMs: number, sampleNowMs: number = nowMs): RuleFinding[] {
  if (!config.enabled) return [];
  const findings: RuleFinding[] = [];
  const poolNames = new Set<string>();
  const backendKeys = new Set<string>();
  const trafficSeconds = windowSeconds(config.traffic.window);
  let trafficRequests = 0;
  // Failure counters are kept long enough for the errors window, in-flight samples for the skew window.
  const errorWindowMs = windowSeconds(config.errors.window) * 1000;
  const skewWindowMs = windowSeconds(config.skew.window) * 1000;
  const failuresByPool = poolFailureTotals(input.telemetry);

  for (const pool of input.pools) {
    const expected = expectedSharesOf(pool.members);
    const expectedSinceMs = state.expectations.note(pool.members.name, expected, nowMs);
    const view = new PoolView(pool.members, pool.config, expected, input.telemetry, nowMs, expectedSinceMs);
    poolNames.add(view.name);

    const inflightNow = new Map<string, number>();
    for (const backend of pool.members.backends) inflightNow.set(backend.id, input.inflightOf(view.name, backend));
    state.inflight.record(view.name, nowMs, inflightNow, skewWindowMs);
    // In-flight samples taken under an earlier expectation are not judged against this one.
    const inflight = state.inflight.average(view.name, nowMs, Math.min(skewWindowMs, nowMs - expectedSinceMs));
    const poolFailures = state.poolFailures.increase(view.name, nowMs, failuresByPool.get(view.name) ?? 0, errorWindowMs, errorWindowMs);

    push(findings, evaluateSkew(view, config.skew));
    push(findings, evaluateInflightSkew(view, config.skew, inflight.byBackend, inflight.samples));
    findings.push(...evaluateLatency(view, config.latency, poolLatencyOf(input.telemetry, view.name, windowSeconds(config.latency.window), nowMs)));
    findings.push(...evaluateRelativeLatency(view, config.latency));
    findings.push(...evaluateErrors(view, config.errors, poolFailures));
    push(findings, evaluateCapacity(view, config.capacity));
    findings.push(...evaluateFlapping(view, config.flapping, state.healthDowns, backendKeys));
    push(findings, evaluatePersistence(view, config.persistence, input.telemetry, sampleNowMs));

    // The rate counts whole seconds only: the second holding now is still filling.
    for (const window of input.telemetry.window(view.name, trafficSeconds, nowMs - 1000)) trafficRequests += window.requests;
  }
  state.inflight.retain(poolNames);
  state.expectations.retain(poolNames);
  state.poolFailures.retain(poolNames);
  state.healthDowns.retain(backendKeys);

  const rps = trafficRequests / trafficSeconds;
  const baselineRps = state.trafficBaseline.update(rps, nowMs, config.traffic);
  push(findings, evaluateTraffic(rps, baselineRps, config.traffic));
  return findings;
}

/** Cumulative proxy errors that mean a pool could not serve (error-rule.ts says which), by pool. */
function poolFailureTotals(telemetry: Telemetry): Map<string, number> {
  const totals = new Map<string, number>();
  for (const error of telemetry.proxyErrors()) {
    if (POOL_FAILURE_CODES.has(error.code)) totals.set(error.pool, (totals.get(error.pool) ?? 0) + error.count);
  }
  return totals;
}

function push(findings: RuleFinding[], finding: RuleFinding | undefined): void {
  if (finding !== undefined) findings.push(finding);
}
