import type { ErrorRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import { percent, wholeNumber } from '../finding-text.js';
import { windowSeconds } from '../rule-window.js';
import { rounded, type PoolView } from './pool-view.js';

// Errors: 5xx responses and upstream failures over requests, per backend and per pool.
//
// What telemetry records, and so what counts:
// - A request that reached a backend is recorded against it with the status the client got. When
//   the upstream failed (EK_UPSTREAM_CONNECT_FAILED, _CONNECT_TIMEOUT, _TIMEOUT, _IDLE_TIMEOUT,
//   _RESET, and EK_REQUEST_TIMEOUT after a backend was chosen) that status is the proxy's 502/504, so
//   the backend's 5xx class already holds its upstream failures along with its own 5xx answers.
// - A request answered without any backend is a per-pool proxy error by x-evenkeel-error code
//   (telemetry.proxyErrors(), cumulative). Counted for the pool: POOL_FAILURE_CODES, the pool could
//   not serve (no healthy backend, queue full or timed out, timeouts). Not counted: codes that are
//   the client's doing (EK_BAD_REQUEST, EK_BODY_TOO_LARGE, EK_HEADERS_TOO_LARGE,
//   EK_CLIENT_IDLE_TIMEOUT) or a routing miss (EK_NO_ROUTE, which has no pool).

/** x-evenkeel-error codes that are the pool's failure to serve when no backend was recorded. */
export const POOL_FAILURE_CODES: ReadonlySet<string> = new Set([
  'EK_NO_HEALTHY_BACKEND',
  'EK_QUEUE_FULL',
  'EK_QUEUE_TIMEOUT',
  'EK_REQUEST_TIMEOUT',
  'EK_UPSTREAM_CONNECT_FAILED',
  'EK_UPSTREAM_CONNECT_TIMEOUT',
  'EK_UPSTREAM_TIMEOUT',
  'EK_UPSTREAM_IDLE_TIMEOUT',
  'EK_UPSTREAM_RESET',
]);

/** `poolFailures`: requests of the window answered with a POOL_FAILURE_CODES error and no backend. */
export function evaluateErrors(pool: PoolView, config: ErrorRuleConfig, poolFailures: number): RuleFinding[] {
  const seconds = windowSeconds(config.window);
  const findings: RuleFinding[] = [];
  let requests = poolFailures;
  let errors = poolFailures;
  for (const window of pool.window(seconds)) {
    const failed = window.byClass['5xx'];
    requests += window.requests;
    errors += failed;
    const finding = judge(pool.name, window.id, window.requests, failed, 0, config, seconds);
    if (finding !== undefined) findings.push(finding);
  }
  const whole = judge(pool.name, undefined, requests, errors, poolFailures, config, seconds);
  if (whole !== undefined) findings.push(whole);
  return findings;
}

function judge(
  poolName: string,
  backend: string | undefined,
  requests: number,
  errors: number,
  unserved: number,
  config: ErrorRuleConfig,
  seconds: number,
): RuleFinding | undefined {
  if (requests === 0 || requests < config.min_requests) return undefined;
  const rate = errors / requests;
  if (!(rate > config.max_error_rate)) return undefined;
  const subject = backend ?? `pool ${poolName}`;
  const unservedText = unserved > 0 ? ` (${wholeNumber(unserved)} answered without a backend)` : '';
  return {
    rule: 'errors',
    severity: 'critical',
    pool: poolName,
    backend,
    backends: backend === undefined ? [] : [backend],
    summary: `${subject}: ${percent(rate)} of ${wholeNumber(requests)} requests failed with 5xx or upstream errors${unservedText} over the last ${seconds} s (limit ${percent(config.max_error_rate)}).`,
    evidence: { errorRate: rounded(rate), errors, requests, unserved, maxErrorRate: config.max_error_rate, windowSeconds: seconds },
    forMs: config.for,
  };
}
