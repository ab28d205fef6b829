import type { CapacityRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import { percent } from '../finding-text.js';
import { rounded, type PoolView } from './pool-view.js';

// Capacity: too few backends of a pool healthy and in service (not draining, weight above 0), or too
// little of its configured weight on them. Judged whether or not the pool has traffic: a pool left
// with one backend is a risk before the next request arrives. A pool configured with fewer backends
// than min_healthy_backends is held to the backends it has, or a one-backend pool would alert forever.

export function evaluateCapacity(pool: PoolView, config: CapacityRuleConfig): RuleFinding | undefined {
  const backends = pool.members.backends;
  if (backends.length === 0) return undefined;
  let configuredWeight = 0;
  let healthyWeight = 0;
  const inService: string[] = [];
  const outOfService: string[] = [];
  for (const backend of backends) {
    configuredWeight += backend.weight;
    if (backend.isHealthy && !backend.isDraining && backend.weight > 0) {
      inService.push(backend.id);
      healthyWeight += backend.weight;
    } else {
      outOfService.push(backend.id);
    }
  }
  const required = Math.min(config.min_healthy_backends, backends.length);
  const weightShare = configuredWeight > 0 ? healthyWeight / configuredWeight : 1;
  const isTooFew = inService.length < required;
  const isTooLight = configuredWeight > 0 && weightShare < config.min_healthy_weight_share;
  if (!isTooFew && !isTooLight) return undefined;
  return {
    rule: 'capacity',
    severity: 'critical',
    pool: pool.name,
    backend: undefined,
    backends: outOfService,
    summary:
      `pool ${pool.name}: ${inService.length} of ${backends.length} backends healthy and in service (minimum ${required}), ` +
      `holding ${percent(weightShare)} of its weight (minimum ${percent(config.min_healthy_weight_share)}).`,
    evidence: {
      healthyBackends: inService.length,
      backends: backends.length,
      minHealthyBackends: required,
      healthyWeightShare: rounded(weightShare),
      minHealthyWeightShare: config.min_healthy_weight_share,
    },
    forMs: config.for,
  };
}
