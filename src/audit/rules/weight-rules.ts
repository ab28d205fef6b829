import type { AuditedPool } from '../model.js';
import { activeServers, effectiveWeight, helpUriOf, percent, poolLabel, type AuditRule, type RuleHit } from './rule.js';

// EK2xx: weights and capacity. The 2024-05-01 script reassigned weights so two of five servers took
// 80% of the traffic; these rules catch the config that such a script leaves behind.

/** Pools whose algorithm follows weights (hashing and source-IP follow keys instead). */
function isWeighted(pool: AuditedPool): boolean {
  const algorithm = pool.balance?.value;
  return algorithm !== 'hash' && algorithm !== 'source-ip' && algorithm !== 'first';
}

export const weightRatio: AuditRule = {
  id: 'EK201',
  name: 'weight-ratio',
  defaultSeverity: 'warning',
  summary: 'The largest and smallest weights of one pool differ by more than a threshold.',
  helpUri: helpUriOf('EK201'),
  thresholds: { max_ratio: 4 },
  check(config, thresholds) {
    const maxRatio = thresholds['max_ratio'] ?? 4;
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      const weighted = activeServers(pool).filter((server) => effectiveWeight(config, server) > 0);
      if (weighted.length < 2) continue;
      const heaviest = weighted.reduce((a, b) => (effectiveWeight(config, b) > effectiveWeight(config, a) ? b : a));
      const lightest = weighted.reduce((a, b) => (effectiveWeight(config, b) < effectiveWeight(config, a) ? b : a));
      const ratio = effectiveWeight(config, heaviest) / effectiveWeight(config, lightest);
      if (ratio <= maxRatio) continue;
      hits.push({
        message: `${poolLabel(config, pool)}: ${heaviest.name} weight ${effectiveWeight(config, heaviest)} is ${Number(ratio.toFixed(1))}x ${lightest.name} weight ${effectiveWeight(config, lightest)} (more than ${maxRatio}x)`,
        hint: `keep weights of one pool within ${maxRatio}x of each other; move very different servers to their own pool`,
        at: heaviest.at,
      });
    }
    return hits;
  },
};

export const dominantServer: AuditRule = {
  id: 'EK202',
  name: 'dominant-server',
  defaultSeverity: 'error',
  summary: 'One server holds more than a threshold share of a pool\'s weight (pools of three or more servers).',
  helpUri: helpUriOf('EK202'),
  thresholds: { max_share: 0.5, min_servers: 3 },
  check(config, thresholds) {
    const maxShare = thresholds['max_share'] ?? 0.5;
    const minServers = thresholds['min_servers'] ?? 3;
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      if (!isWeighted(pool)) continue;
      const servers = activeServers(pool);
      if (servers.length < minServers) continue;
      const total = servers.reduce((sum, server) => sum + effectiveWeight(config, server), 0);
      if (total <= 0) continue;
      for (const server of servers) {
        const share = effectiveWeight(config, server) / total;
        if (share <= maxShare) continue;
        hits.push({
          message: `${poolLabel(config, pool)}: ${server.name} weight ${effectiveWeight(config, server)} holds ${percent(share)} of the pool's weight ${total} (more than ${percent(maxShare)}), so its failure or slowness is most of the pool's`,
          hint: `lower ${server.name}'s weight so no server holds more than ${percent(maxShare)} of the pool, or add servers`,
          at: server.at,
        });
      }
    }
    return hits;
  },
};

export const tooFewServers: AuditRule = {
  id: 'EK203',
  name: 'too-few-servers',
  defaultSeverity: 'warning',
  summary: 'A pool has fewer active servers than a threshold, so one failure takes it down.',
  helpUri: helpUriOf('EK203'),
  thresholds: { min_servers: 2 },
  check(config, thresholds) {
    const minServers = thresholds['min_servers'] ?? 2;
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      // A section without servers (an HAProxy `listen stats`) balances nothing.
      if (pool.servers.length === 0) continue;
      const active = activeServers(pool).length;
      if (active >= minServers) continue;
      if (pool.servers.length > 0 && pool.servers.every((server) => server.isBackup)) continue; // EK204 says it
      hits.push({
        message: `${poolLabel(config, pool)}: ${active} active server${active === 1 ? '' : 's'} (fewer than ${minServers}), so one failure or deploy takes the pool down`,
        hint: `run at least ${minServers} servers in every pool`,
        at: pool.at,
      });
    }
    return hits;
  },
};

export const allBackup: AuditRule = {
  id: 'EK204',
  name: 'all-backup',
  defaultSeverity: 'error',
  summary: 'Every server of a pool is a backup, so the pool has no primary server to send traffic to.',
  helpUri: helpUriOf('EK204'),
  thresholds: {},
  check(config) {
    return config.pools
      .filter((pool) => pool.servers.length > 0 && pool.servers.every((server) => server.isBackup))
      .map((pool) => ({
        message:
          pool.servers.length === 1
            ? `${poolLabel(config, pool)}: its only server ${pool.servers[0]!.name} is \`backup\`, so the pool has no primary server`
            : `${poolLabel(config, pool)}: all ${pool.servers.length} servers are \`backup\` (${pool.servers.map((server) => server.name).join(', ')}), so the first one takes every request alone`,
        hint: 'remove `backup` from the servers that should share the traffic',
        at: pool.at,
      }));
  },
};

export const noSlowStart: AuditRule = {
  id: 'EK205',
  name: 'no-slow-start',
  defaultSeverity: 'note',
  summary: 'A weighted pool gives a recovered or added server its full share at once.',
  helpUri: helpUriOf('EK205'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      if (!isWeighted(pool) || activeServers(pool).length < 2) continue;
      if ((pool.slowStartMs?.value ?? 0) > 0) continue;
      if (pool.servers.some((server) => (server.slowStartMs ?? 0) > 0)) continue;
      hits.push({
        message: `${poolLabel(config, pool)}: no slow start, so a server that recovers or joins takes its full share at once, with cold caches and connections`,
        hint: config.kind === 'evenkeel' ? 'set slow_start: 30s (the default)' : config.kind === 'haproxy' ? 'add `default-server slowstart 30s`' : 'add `slow_start=30s` to the servers (NGINX Plus) or ramp weights by hand',
        at: pool.slowStartMs?.at ?? pool.at,
      });
    }
    return hits;
  },
};

export const noConnectionLimit: AuditRule = {
  id: 'EK206',
  name: 'no-connection-limit',
  defaultSeverity: 'note',
  summary: 'No server of a pool has a connection limit and the pool has no queue, so overload goes straight to the servers.',
  helpUri: helpUriOf('EK206'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      if (pool.servers.length === 0) continue;
      const isLimited = pool.servers.some((server) => (server.maxConnections ?? 0) > 0);
      if (isLimited) continue;
      hits.push({
        message: `${poolLabel(config, pool)}: no server has a connection limit${pool.queue === undefined ? ' and there is no queue' : ''}, so a burst reaches the servers all at once`,
        hint: config.kind === 'evenkeel' ? 'set max_inflight on the pool (its queue then holds the excess)' : config.kind === 'haproxy' ? 'add `maxconn` to the servers and a `timeout queue`' : 'add `max_conns=` to the servers (and `queue` with NGINX Plus)',
        at: pool.at,
      });
    }
    return hits;
  },
};
