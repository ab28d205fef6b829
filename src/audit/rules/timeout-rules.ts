import type { Located } from '../model.js';
import { formatMs, helpUriOf, poolLabel, type AuditRule, type RuleHit } from './rule.js';

// EK4xx: timeouts and retries. A missing timeout turns one hung server into piled-up connections;
// a retried POST turns one slow order into two orders.

export const missingTimeouts: AuditRule = {
  id: 'EK401',
  name: 'missing-timeouts',
  defaultSeverity: 'warning',
  summary: 'A pool has no connect or server (response) timeout.',
  helpUri: helpUriOf('EK401'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      if (pool.servers.length === 0) continue;
      const missing = [pool.timeouts.connect === undefined ? 'connect' : undefined, pool.timeouts.server === undefined ? 'server' : undefined].filter((name) => name !== undefined);
      // NGINX has built-in 60s defaults; a missing directive there is the default, not "no timeout".
      if (missing.length === 0 || config.kind === 'nginx') continue;
      hits.push({
        message: `${poolLabel(config, pool)}: no ${missing.join(' or ')} timeout, so a hung server holds connections and requests indefinitely`,
        hint: config.kind === 'haproxy' ? 'set `timeout connect 5s` and `timeout server 30s` in defaults' : 'set proxy.timeouts.connect and response_headers',
        at: pool.at,
      });
    }
    return hits;
  },
};

export const longTimeouts: AuditRule = {
  id: 'EK402',
  name: 'long-timeouts',
  defaultSeverity: 'warning',
  summary: 'A connect or server timeout is longer than a threshold.',
  helpUri: helpUriOf('EK402'),
  thresholds: { max_connect_seconds: 10, max_server_seconds: 300 },
  check(config, thresholds) {
    const limits: [string, Located<number> | undefined, number][] = [];
    const hits: RuleHit[] = [];
    const seen = new Set<string>();
    for (const pool of config.pools) {
      limits.length = 0;
      limits.push(['connect', pool.timeouts.connect, (thresholds['max_connect_seconds'] ?? 10) * 1000]);
      limits.push(['server', pool.timeouts.server, (thresholds['max_server_seconds'] ?? 300) * 1000]);
      for (const [name, timeout, maxMs] of limits) {
        if (timeout === undefined || timeout.value <= maxMs) continue;
        // A timeout inherited from one place (defaults, proxy.timeouts) is reported once, where it is written.
        const key = `${name}@${timeout.at.file}:${timeout.at.line}:${timeout.at.column}`;
        if (seen.has(key)) continue;
        seen.add(key);
        hits.push({
          message: `${poolLabel(config, pool)}: ${name} timeout ${formatMs(timeout.value)} is longer than ${formatMs(maxMs)}, so requests to a hung server pile up before anyone gives up`,
          hint: `set the ${name} timeout to ${formatMs(maxMs)} or less`,
          at: timeout.at,
        });
      }
    }
    return hits;
  },
};

export const nonIdempotentRetries: AuditRule = {
  id: 'EK403',
  name: 'non-idempotent-retries',
  defaultSeverity: 'error',
  summary: 'Non-idempotent requests (POST, PATCH) may be retried on another server.',
  helpUri: helpUriOf('EK403'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      if (pool.retries === undefined || !pool.retries.retriesNonIdempotent) continue;
      hits.push({
        message: `${poolLabel(config, pool)}: non-idempotent requests (POST, PATCH) may be retried${pool.retries.count !== undefined ? ` up to ${pool.retries.count} times` : ''} on another server, so one slow order can be placed twice`,
        hint: config.kind === 'nginx' ? 'remove `non_idempotent` from proxy_next_upstream' : 'retry only idempotent methods (`retry-on conn-failure empty-response`, no POST)',
        at: pool.retries.at,
      });
    }
    return hits;
  },
};
