import { formatDurationMs, type FlappingRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import type { CounterHistory } from '../counter-history.js';
import type { PoolView } from './pool-view.js';

// Flapping: a backend that keeps failing and coming back (a crash loop, a server that falls over
// under load and recovers when health checks take it out). Health checks and outlier ejection keep
// clients away while it is down, so no other rule may fire: errors stay low, the expected shares
// follow health, capacity recovers each time. But every failure costs the requests that were on it,
// and the juggling hides a server that needs attention. Judged per backend on its falls
// (BackendState.healthDowns, written by health/: checks said down, or an ejection began while they
// passed) over the window, read through a counter history so that falls faster than the evaluation
// interval count too.

/** Key of a backend's counter history: pools may share backend ids. */
function flappingKey(pool: string, backend: string): string {
  return `${pool}/${backend}`;
}

export function evaluateFlapping(pool: PoolView, config: FlappingRuleConfig, downs: CounterHistory, liveKeys: Set<string>): RuleFinding[] {
  const findings: RuleFinding[] = [];
  for (const backend of pool.members.backends) {
    const key = flappingKey(pool.name, backend.id);
    liveKeys.add(key);
    const count = downs.increase(key, pool.nowMs, backend.healthDowns, config.window, config.window);
    if (count < config.max_downs) continue;
    const now = backend.isHealthy ? 'healthy right now' : 'down right now';
    findings.push({
      rule: 'flapping',
      severity: 'warning',
      pool: pool.name,
      backend: backend.id,
      backends: [backend.id],
      summary:
        `${backend.id} of pool ${pool.name} went down ${count} times in the last ${formatDurationMs(config.window)} (${now}): ` +
        'it keeps failing and recovering; health checks take it out each time, but every failure costs the requests on it',
      evidence: { downs: count, maxDowns: config.max_downs, windowSeconds: config.window / 1000, isHealthy: backend.isHealthy ? 1 : 0 },
      forMs: config.for,
    });
  }
  return findings;
}
