import { isIP } from 'node:net';
import { closestMatch } from './did-you-mean.js';
import type { PathIssue } from './issue-messages.js';
import type { Config } from './schema.js';
import { formatDurationMs, splitListenAddress } from './units.js';

// Rules that span several fields, checked after the schema has accepted the file. Each issue carries
// the path of the field to fix, so the loader can point at its line and column.

/** Every cross-field problem in a config the schema accepted; empty when the config is usable. */
export function findSemanticIssues(config: Config): PathIssue[] {
  const issues: PathIssue[] = [];
  checkListeners(config, issues);
  checkBackendIds(config, issues);
  for (const [name, pool] of Object.entries(config.pools)) checkPool(name, pool, issues);
  checkRoutes(config, issues);
  checkDemoPorts(config, issues);
  checkTrustedProxies(config, issues);
  return issues;
}

function checkListeners(config: Config, issues: PathIssue[]): void {
  const { http, https } = config.listen;
  if (http === undefined && https === undefined) {
    issues.push({ path: ['listen'], message: 'expected at least one listener, "http" or "https", got neither' });
  }
  const adminPort = splitListenAddress(config.admin.listen).port;
  // Port 0 asks the OS for a free port, so two zeros never clash.
  if (adminPort !== 0 && http !== undefined && splitListenAddress(http).port === adminPort) {
    issues.push({ path: ['admin', 'listen'], message: `expected a port other than the proxy's (listen.http), got ${adminPort} for both` });
  }
  if (adminPort !== 0 && https !== undefined && splitListenAddress(https.address).port === adminPort) {
    issues.push({ path: ['admin', 'listen'], message: `expected a port other than the proxy's (listen.https), got ${adminPort} for both` });
  }
  if (http !== undefined && https !== undefined) {
    const port = splitListenAddress(http).port;
    if (port !== 0 && port === splitListenAddress(https.address).port) {
      issues.push({ path: ['listen', 'https', 'address'], message: `expected a port other than listen.http's, got ${port} for both` });
    }
  }
}

function checkBackendIds(config: Config, issues: PathIssue[]): void {
  // Ids are unique across the whole config, not per pool: they label metrics and are signed into
  // persistence cookies, and an id reused in two pools would merge their series.
  const firstSeen = new Map<string, string>();
  for (const [poolName, pool] of Object.entries(config.pools)) {
    pool.backends.forEach((backend, index) => {
      const where = `pools.${poolName}.backends[${index}]`;
      const first = firstSeen.get(backend.id);
      if (first === undefined) firstSeen.set(backend.id, where);
      else issues.push({ path: ['pools', poolName, 'backends', index, 'id'], message: `expected a unique backend id, got ${JSON.stringify(backend.id)} again (first used at ${first}); ids must be unique across all pools` });
    });
  }
}

function checkPool(name: string, pool: Config['pools'][string], issues: PathIssue[]): void {
  const at = (...rest: PropertyKey[]): PropertyKey[] => ['pools', name, ...rest];
  if (pool.backends.length > 0 && pool.backends.every((backend) => backend.weight === 0)) {
    issues.push({ path: at('backends'), message: 'expected at least one backend with a weight above 0, got weight 0 for every backend; such a pool can never take a request' });
  }
  if (pool.hash !== undefined && pool.algorithm !== 'hash') {
    issues.push({ path: at('hash'), message: `a hash section only applies to "algorithm: hash", got algorithm ${JSON.stringify(pool.algorithm)}; remove the section or change the algorithm` });
  }
  if (pool.hash !== undefined && (pool.hash.by === 'header' || pool.hash.by === 'cookie') && pool.hash.name === undefined) {
    issues.push({ path: at('hash', 'name'), message: `missing required key; "by: ${pool.hash.by}" needs the ${pool.hash.by} name to hash, such as ${pool.hash.by === 'header' ? '"X-User-Id"' : '"session"'}` });
  }
  if (pool.persistence.by === 'header' && pool.persistence.name === undefined) {
    issues.push({ path: at('persistence', 'name'), message: 'missing required key; "by: header" needs the header that carries the session key, such as "X-Session-Id"' });
  }
  if (pool.health.timeout >= pool.health.interval) {
    issues.push({ path: at('health', 'timeout'), message: `expected a timeout shorter than the interval (${formatDurationMs(pool.health.interval)}), got ${formatDurationMs(pool.health.timeout)}; a check must finish before the next one starts` });
  }
  const statusProblem = describeStatusRangeProblem(pool.health.expected_status);
  if (statusProblem !== undefined) issues.push({ path: at('health', 'expected_status'), message: statusProblem });
  if (pool.outlier.base_ejection > pool.outlier.max_ejection) {
    issues.push({ path: at('outlier', 'base_ejection'), message: `expected at most max_ejection (${formatDurationMs(pool.outlier.max_ejection)}), got ${formatDurationMs(pool.outlier.base_ejection)}` });
  }
}

function checkRoutes(config: Config, issues: PathIssue[]): void {
  const poolNames = Object.keys(config.pools);
  if (config.routes.length === 0 && poolNames.length > 1) {
    issues.push({ path: ['routes'], message: `expected routes when there is more than one pool, got none for ${poolNames.length} pools (${poolNames.join(', ')}); with exactly one pool, every request goes to it` });
  }
  config.routes.forEach((route, index) => {
    if (Object.hasOwn(config.pools, route.pool)) return;
    const suggestion = closestMatch(route.pool, poolNames);
    const hint = suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : '';
    issues.push({ path: ['routes', index, 'pool'], message: `expected one of the pools (${poolNames.map((n) => JSON.stringify(n)).join(', ')}), got ${JSON.stringify(route.pool)}${hint}` });
  });
}

function checkDemoPorts(config: Config, issues: PathIssue[]): void {
  if (config.demo === undefined) return;
  const taken = new Map<number, string>();
  if (config.listen.http !== undefined) taken.set(splitListenAddress(config.listen.http).port, 'listen.http');
  if (config.listen.https !== undefined) taken.set(splitListenAddress(config.listen.https.address).port, 'listen.https');
  taken.set(splitListenAddress(config.admin.listen).port, 'admin.listen');
  taken.delete(0);
  config.demo.upstreams.forEach((upstream, index) => {
    const owner = taken.get(upstream.port);
    if (owner !== undefined) {
      issues.push({ path: ['demo', 'upstreams', index, 'port'], message: `expected a port not used elsewhere, got ${upstream.port}, already used by ${owner}` });
    } else {
      taken.set(upstream.port, `demo.upstreams[${index}]`);
    }
  });
}

/** Why "200-399" style text is not a usable status range, or undefined when it is. */
function describeStatusRangeProblem(text: string): string | undefined {
  const [low, high = low] = text.split('-').map(Number);
  if (low < 100 || high > 599) return `expected status codes from 100 to 599, got ${JSON.stringify(text)}`;
  if (low > high) return `expected an ascending range such as "${high}-${low}", got ${JSON.stringify(text)}`;
  return undefined;
}

function checkTrustedProxies(config: Config, issues: PathIssue[]): void {
  // The proxy would refuse these later with ProxyConfigError and no position; say it here, with one.
  config.proxy.trusted_proxies.forEach((entry, index) => {
    if (!isIpOrCidr(entry)) {
      issues.push({ path: ['proxy', 'trusted_proxies', index], message: `expected an IP address or CIDR such as "10.0.0.0/8" or "::1", got ${JSON.stringify(entry)}` });
    }
  });
}

function isIpOrCidr(text: string): boolean {
  // The same rule as the proxy's BlockList builder (proxy/forwarded.ts), which trims entries.
  const entry = text.trim();
  const slash = entry.indexOf('/');
  if (slash === -1) return isIP(entry) !== 0;
  const address = entry.slice(0, slash);
  const prefix = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
