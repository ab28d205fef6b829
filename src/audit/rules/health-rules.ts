import { formatMs, helpUriOf, poolLabel, type AuditRule, type RuleHit } from './rule.js';

// EK3xx: health. Without checks a dead server keeps its share until clients notice; checks with a
// hair trigger or a glacial interval either flap or see nothing.

export const healthChecksMissing: AuditRule = {
  id: 'EK301',
  name: 'health-checks-missing',
  defaultSeverity: 'warning',
  summary: 'A pool has no active health check, or it is turned off.',
  helpUri: helpUriOf('EK301'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      if (pool.servers.length === 0) continue;
      const check = pool.healthCheck;
      const serversWithoutCheck = config.kind === 'haproxy' ? pool.servers.filter((server) => server.hasCheck === false) : [];
      if (check === undefined || !check.isEnabled) {
        hits.push({
          message: `${poolLabel(config, pool)}: ${check === undefined ? 'no active health check' : 'the active health check is turned off'}, so a dead server keeps getting its share until clients fail`,
          hint: config.kind === 'evenkeel' ? 'set health.path, such as /healthz' : config.kind === 'haproxy' ? 'add `option httpchk GET /healthz` and `check` on every server' : 'add `health_check` to the proxying location (NGINX Plus); open-source NGINX only detects failures passively, so keep max_fails >= 1',
          at: check?.at ?? pool.at,
        });
      } else if (serversWithoutCheck.length > 0) {
        hits.push({
          message: `${poolLabel(config, pool)}: ${serversWithoutCheck.map((server) => server.name).join(', ')} ${serversWithoutCheck.length === 1 ? 'has' : 'have'} no \`check\`, so ${serversWithoutCheck.length === 1 ? 'it is' : 'they are'} never taken out when down`,
          hint: 'add `check` to every server (or `default-server check`)',
          at: serversWithoutCheck[0]!.at,
        });
      }
    }
    return hits;
  },
};

export const healthCheckRange: AuditRule = {
  id: 'EK302',
  name: 'health-check-range',
  defaultSeverity: 'warning',
  summary: 'Health check rise, fall, interval or timeout outside a sensible range.',
  helpUri: helpUriOf('EK302'),
  thresholds: { min_interval_seconds: 1, max_interval_seconds: 60, max_rise: 10, min_fall: 2, max_fall: 10 },
  check(config, thresholds) {
    const minIntervalMs = (thresholds['min_interval_seconds'] ?? 1) * 1000;
    const maxIntervalMs = (thresholds['max_interval_seconds'] ?? 60) * 1000;
    const maxRise = thresholds['max_rise'] ?? 10;
    const minFall = thresholds['min_fall'] ?? 2;
    const maxFall = thresholds['max_fall'] ?? 10;
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      const check = pool.healthCheck;
      if (check === undefined || !check.isEnabled) continue;
      const where = poolLabel(config, pool);
      const problems: string[] = [];
      if (check.intervalMs !== undefined && check.intervalMs < minIntervalMs) problems.push(`interval ${formatMs(check.intervalMs)} is below ${formatMs(minIntervalMs)} (checks load the servers and flap)`);
      if (check.intervalMs !== undefined && check.intervalMs > maxIntervalMs) problems.push(`interval ${formatMs(check.intervalMs)} is above ${formatMs(maxIntervalMs)} (a dead server keeps traffic for minutes)`);
      if (check.rise !== undefined && check.rise > maxRise) problems.push(`rise ${check.rise} is above ${maxRise} (a recovered server waits too long)`);
      if (check.fall !== undefined && check.fall < minFall) problems.push(`fall ${check.fall} is below ${minFall} (one lost check takes a server out)`);
      if (check.fall !== undefined && check.fall > maxFall) problems.push(`fall ${check.fall} is above ${maxFall} (a dead server keeps traffic too long)`);
      if (check.timeoutMs !== undefined && check.intervalMs !== undefined && check.timeoutMs >= check.intervalMs) problems.push(`timeout ${formatMs(check.timeoutMs)} is not shorter than interval ${formatMs(check.intervalMs)}`);
      if (problems.length === 0) continue;
      hits.push({
        message: `${where}: health check ${problems.join('; ')}`,
        hint: `use an interval of 2-10s, a timeout below it, rise 2 and fall 3`,
        at: check.at,
      });
    }
    return hits;
  },
};

export const passiveDetectionOff: AuditRule = {
  id: 'EK303',
  name: 'passive-detection-off',
  defaultSeverity: 'warning',
  summary: 'Passive failure detection is turned off (NGINX max_fails=0, evenkeel outlier.consecutive_failures: 0).',
  helpUri: helpUriOf('EK303'),
  thresholds: {},
  check(config) {
    const hits: RuleHit[] = [];
    for (const pool of config.pools) {
      const off = pool.servers.filter((server) => server.maxFails === 0);
      if (off.length === 0) continue;
      hits.push({
        message: `${poolLabel(config, pool)}: passive failure detection is off for ${off.map((server) => server.name).join(', ')}${config.kind === 'nginx' ? ' (`max_fails=0`)' : ''}, so a server failing every real request keeps its share`,
        hint: config.kind === 'evenkeel' ? 'set outlier.consecutive_failures to 5 (the default)' : config.kind === 'nginx' ? 'remove `max_fails=0` (the default is 1) or set max_fails=3 fail_timeout=10s' : 'add `observe layer7 error-limit 10 on-error mark-down` to the servers',
        at: off[0]!.at,
      });
    }
    return hits;
  },
};
