import type { ConfigKind } from '../model.js';
import { formatMs, helpUriOf, poolLabel, type AuditRule, type RuleHit } from './rule.js';

// EK1xx: session persistence and hashing. Persistence without a load bound is how the 2024-05-01
// incident put 80% of the traffic on two of five servers: pins outlive the weights that made them.

const BOUND_HINT: Record<ConfigKind, string> = {
  evenkeel: 'keep persistence.bound / hash.bound at 1.25 (the default)',
  nginx: 'use least_conn or round robin with a session store; NGINX upstream hashing and sticky have no load bound',
  haproxy: 'add `hash-balance-factor 125` to the backend (HAProxy 1.9+), which bounds every server at 125% of the average load',
};

const SOURCE_IP_HINT: Record<ConfigKind, string> = {
  evenkeel: 'persist by cookie (persistence.by: cookie) so each client, not each NAT address, is pinned',
  nginx: 'key on something per client (a session cookie) instead of the client address, or drop affinity',
  haproxy: 'key on something per client (`balance hdr(...)`/`uri` with `hash-type consistent` and `hash-balance-factor`) instead of `src`, or drop affinity',
};

/**
 * HAProxy's hash-balance-factor bounds consistent hashing only; cookie and stick-table persistence
 * have no bound, so for them the fix is to stop pinning (or pin in the application's session store).
 */
const PERSISTENCE_BOUND_HINT: Record<ConfigKind, string> = {
  evenkeel: BOUND_HINT.evenkeel,
  nginx: 'drop `sticky` (it has no load bound) and keep sessions in a shared store, or put evenkeel in front',
  haproxy: 'HAProxy cannot bound `cookie`/`stick` persistence (hash-balance-factor bounds only consistent hashing): keep sessions in a shared store, or hash with `hash-type consistent` and `hash-balance-factor 125`',
};

/** How each product writes balancing by client address. */
function sourceIpBalancing(kind: ConfigKind): string {
  return kind === 'nginx' ? '`ip_hash`' : kind === 'haproxy' ? '`balance source`' : 'source-IP balancing';
}

export const unboundedPersistence: AuditRule = {
  id: 'EK101',
  name: 'unbounded-persistence',
  defaultSeverity: 'error',
  summary: 'Session persistence or hashing with no load bound can pile most of the traffic onto a few servers.',
  helpUri: helpUriOf('EK101'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      const pool_ = poolLabel(config, pool);
      if (pool.hashing !== undefined && pool.hashing.boundFactor === undefined) {
        hits.push({
          message: `${pool_}: hashing on \`${pool.hashing.expression}\`${pool.hashing.isConsistent ? ' (consistent)' : ''} has no load bound, so a popular key or a big NAT sends its whole share to one server`,
          hint: BOUND_HINT[config.kind],
          at: pool.hashing.at,
        });
      } else if (pool.hashing === undefined && pool.balance?.value === 'source-ip') {
        hits.push({
          message: `${pool_}: ${sourceIpBalancing(config.kind)} has no load bound, so every client behind one address lands on one server however busy it is`,
          hint: BOUND_HINT[config.kind],
          at: pool.balance.at,
        });
      }
      for (const persistence of pool.persistence) {
        if (persistence.boundFactor !== undefined) continue;
        hits.push({
          message: `${pool_}: ${persistence.kind} persistence has no load bound, so pinned sessions stay on a server however overloaded it gets (the 2024-05-01 incident)`,
          hint: PERSISTENCE_BOUND_HINT[config.kind],
          at: persistence.at,
        });
      }
    }
    return hits;
  },
};

export const sourceIpAffinity: AuditRule = {
  id: 'EK102',
  name: 'source-ip-affinity',
  defaultSeverity: 'warning',
  summary: 'Affinity by client address sends every user behind one NAT or proxy to the same server.',
  helpUri: helpUriOf('EK102'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      const pool_ = poolLabel(config, pool);
      const bySourceIp =
        pool.hashing?.key === 'source_ip'
          ? { what: `hashing on \`${pool.hashing.expression}\``, at: pool.hashing.at }
          : pool.balance?.value === 'source-ip'
            ? { what: sourceIpBalancing(config.kind), at: pool.balance.at }
            : undefined;
      if (bySourceIp !== undefined) {
        hits.push({ message: `${pool_}: ${bySourceIp.what} pins every client behind one NAT address to one server`, hint: SOURCE_IP_HINT[config.kind], at: bySourceIp.at });
      }
      for (const persistence of pool.persistence) {
        if (persistence.kind !== 'source_ip') continue;
        hits.push({ message: `${pool_}: persistence by source address pins every client behind one NAT address to one server`, hint: SOURCE_IP_HINT[config.kind], at: persistence.at });
      }
    }
    return hits;
  },
};

export const longPersistenceTtl: AuditRule = {
  id: 'EK103',
  name: 'long-persistence-ttl',
  defaultSeverity: 'warning',
  summary: 'Persistence that lasts longer than a threshold keeps clients on a server long after weights or health changed.',
  helpUri: helpUriOf('EK103'),
  thresholds: { max_ttl_seconds: 3600 },
  check(config, thresholds) {
    const maxTtlMs = (thresholds['max_ttl_seconds'] ?? 3600) * 1000;
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      for (const persistence of pool.persistence) {
        if (persistence.ttlMs === undefined || persistence.ttlMs <= maxTtlMs) continue;
        hits.push({
          message: `${poolLabel(config, pool)}: ${persistence.kind} persistence lasts ${formatMs(persistence.ttlMs)}, longer than ${formatMs(maxTtlMs)}: a client stays pinned long after the server's weight or health changed`,
          hint: config.kind === 'evenkeel' ? `set persistence.ttl to ${formatMs(maxTtlMs)} or less` : `expire pins after ${formatMs(maxTtlMs)} or less (cookie maxidle, stick-table expire, sticky expires)`,
          at: persistence.at,
        });
      }
    }
    return hits;
  },
};

export const looseLoadBound: AuditRule = {
  id: 'EK104',
  name: 'loose-load-bound',
  defaultSeverity: 'warning',
  summary: 'A load bound factor far above 1 lets persistence or hashing send a server many times its share before it spills.',
  helpUri: helpUriOf('EK104'),
  thresholds: { max_bound_factor: 2 },
  check(config, thresholds) {
    const maxFactor = thresholds['max_bound_factor'] ?? 2;
    const hits: RuleHit[] = [];
    const hint = config.kind === 'evenkeel' ? 'set the bound to 1.25 (the default)' : 'set `hash-balance-factor 125`';
    for (const pool of config.pools) {
      const bounded = [
        ...(pool.hashing?.boundFactor !== undefined ? [{ what: 'hashing', factor: pool.hashing.boundFactor, at: pool.hashing.at }] : []),
        ...pool.persistence.flatMap((persistence) => (persistence.boundFactor !== undefined ? [{ what: `${persistence.kind} persistence`, factor: persistence.boundFactor, at: persistence.at }] : [])),
      ];
      for (const { what, factor, at } of bounded) {
        if (factor <= maxFactor) continue;
        hits.push({ message: `${poolLabel(config, pool)}: ${what} load bound ${factor} lets one server take ${factor}x the average load before sessions spill (more than ${maxFactor})`, hint, at });
      }
    }
    return hits;
  },
};

