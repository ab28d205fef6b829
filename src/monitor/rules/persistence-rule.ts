import type { PersistenceRuleConfig } from '../../config/index.js';
import { sampleKeySpecOf, type Telemetry } from '../../telemetry/index.js';
import type { RuleFinding } from '../alert.js';
import { percent } from '../finding-text.js';
import { rounded, type PoolView } from './pool-view.js';

// Persistence concentration: the share of a pool's requests carried by its busiest persistence keys
// (sessions, client addresses, header values), from the request sample telemetry keeps for impact
// simulations (hashed keys, pinned flag); on a fleet's monitor leader, from the busiest keys every
// node published (telemetry/fleet-key-window.ts). A handful of keys carrying a large share means
// persistence can pile load onto the backends those keys are pinned to, whatever the weights say; the
// diagnosis cites it as a cause of skew. Pools whose balancer keys on nothing are not judged.

export function evaluatePersistence(pool: PoolView, config: PersistenceRuleConfig, telemetry: Telemetry, nowMs: number): RuleFinding | undefined {
  const keySpec = sampleKeySpecOf(pool.config);
  if (keySpec.kind === 'none') return undefined;
  const { requests, pinned, topKeyRequests: busiest, distinctKeys } = telemetry.keyConcentration(pool.name, nowMs - config.window, nowMs, config.top_keys);
  if (requests === 0 || requests < config.min_requests) return undefined;
  let topRequests = 0;
  for (const count of busiest) topRequests += count;
  const topKeysShare = topRequests / requests;
  if (!(topKeysShare > config.max_top_keys_share)) return undefined;
  const pinnedShare = pinned / requests;
  return {
    rule: 'persistence_concentration',
    severity: 'warning',
    pool: pool.name,
    backend: undefined,
    backends: [],
    summary:
      `pool ${pool.name}: the ${busiest.length} busiest ${keySpec.kind === 'source_ip' ? 'client addresses' : `${keySpec.kind} keys`} carry ` +
      `${percent(topKeysShare)} of sampled requests (limit ${percent(config.max_top_keys_share)}); ${percent(pinnedShare)} of requests are pinned.`,
    evidence: {
      topKeysShare: rounded(topKeysShare),
      pinnedShare: rounded(pinnedShare),
      topKeys: busiest.length,
      keys: distinctKeys,
      requests,
      persistence: pool.config.persistence.by,
      windowSeconds: Math.round(config.window / 1000),
    },
    forMs: config.for,
  };
}

