import type { AuditedPool, AuditedServer, BalanceAlgorithm, Hashing, HealthCheck, Located, Persistence, Retries, Timeouts } from '../model.js';
import { parseCount, parseNginxDurationMs } from './durations.js';
import type { NginxDirective } from './nginx-syntax.js';

// One `upstream` block and the locations that proxy_pass to it, as an audited pool. Timeouts and
// retries live in http/server/location blocks, not in the upstream: when several locations reach
// one upstream with different values, the pool gets the riskiest (the longest timeout, any
// location that retries non-idempotent requests), since the rules ask "can this pool get into
// trouble", not "what does the average location do".

/** The proxy settings in force in a location that passes to an upstream, after http → server → location inheritance. */
export interface UpstreamUse {
  readonly effective: ReadonlyMap<string, NginxDirective>;
  /** `health_check` directives of the location itself (NGINX Plus; not inherited). */
  readonly healthChecks: readonly NginxDirective[];
}

/** `sticky cookie ... expires=max` sets the cookie to 31 Dec 2037; for the audit that is "ten years". */
const EXPIRES_MAX_MS = 10 * 365 * 86_400_000;
/** NGINX Plus `sticky learn` forgets a session after 10 minutes unless `timeout=` says otherwise. */
const STICKY_LEARN_DEFAULT_TIMEOUT_MS = 600_000;

/** Maps the NGINX hash key variable to the model's key kinds. */
export function hashKeyOf(expression: string): Hashing['key'] {
  if (expression === '$remote_addr' || expression === '$binary_remote_addr') return 'source_ip';
  if (/^\$cookie_\w+$/.test(expression)) return 'cookie';
  if (/^\$http_\w+$/.test(expression)) return 'header';
  if (expression === '$request_uri' || expression === '$uri') return 'uri';
  return 'other';
}

/** Reads `name=value` parameters of a directive ("weight=5", "expires=1h"). */
function parameter(directive: NginxDirective, name: string): string | undefined {
  const prefix = `${name}=`;
  return directive.args.find((arg) => arg.value.startsWith(prefix))?.value.slice(prefix.length);
}

function hasFlag(directive: NginxDirective, flag: string): boolean {
  return directive.args.some((arg) => arg.value === flag);
}

/** The audited pool of one `upstream NAME { ... }` block. */
export function poolOfUpstream(upstream: NginxDirective, uses: readonly UpstreamUse[]): AuditedPool {
  const body = upstream.block ?? [];
  let balance: Located<BalanceAlgorithm> | undefined;
  let hashing: Hashing | undefined;
  const persistence: Persistence[] = [];
  const servers: AuditedServer[] = [];
  let queue: AuditedPool['queue'];
  for (const directive of body) {
    switch (directive.name) {
      case 'server':
        servers.push(serverOf(directive));
        break;
      case 'ip_hash':
        balance = { value: 'source-ip', at: directive.at };
        break;
      case 'least_conn':
      case 'least_time':
        balance = { value: 'least-connections', at: directive.at };
        break;
      case 'random':
        balance = { value: 'random', at: directive.at };
        break;
      case 'hash': {
        const expression = directive.args[0]?.value ?? '';
        balance = { value: 'hash', at: directive.at };
        hashing = { key: hashKeyOf(expression), expression, isConsistent: hasFlag(directive, 'consistent'), boundFactor: undefined, at: directive.at };
        break;
      }
      case 'sticky': {
        const stickyPersistence = stickyOf(directive);
        if (stickyPersistence !== undefined) persistence.push(stickyPersistence);
        break;
      }
      case 'queue': {
        const timeout = parameter(directive, 'timeout');
        queue = { value: { size: parseCount(directive.args[0]?.value), timeoutMs: timeout === undefined ? 60_000 : parseNginxDurationMs(timeout) }, at: directive.at };
        break;
      }
      default:
        break; // zone, keepalive, resolver ...: kept in settings only
    }
  }
  return {
    name: upstream.args[0]?.value ?? '',
    at: upstream.at,
    balance,
    hashing,
    persistence,
    servers,
    healthCheck: healthCheckOf(uses),
    slowStartMs: undefined,
    queue,
    timeouts: timeoutsOf(uses),
    retries: retriesOf(uses),
  };
}

function serverOf(directive: NginxDirective): AuditedServer {
  const address = directive.args[0]?.value ?? '';
  const slowStart = parameter(directive, 'slow_start');
  return {
    name: address,
    address,
    weight: parseCount(parameter(directive, 'weight')),
    isBackup: hasFlag(directive, 'backup'),
    isDisabled: hasFlag(directive, 'down'),
    maxConnections: parseCount(parameter(directive, 'max_conns')),
    maxFails: parseCount(parameter(directive, 'max_fails')),
    slowStartMs: slowStart === undefined ? undefined : parseNginxDurationMs(slowStart),
    hasCheck: undefined,
    at: directive.at,
  };
}

function stickyOf(directive: NginxDirective): Persistence | undefined {
  const method = directive.args[0]?.value;
  if (method === 'cookie') {
    const expires = parameter(directive, 'expires');
    const ttlMs = expires === undefined ? undefined : expires === 'max' ? EXPIRES_MAX_MS : parseNginxDurationMs(expires);
    return { kind: 'cookie', ttlMs, boundFactor: undefined, at: directive.at };
  }
  if (method === 'route') return { kind: 'route', ttlMs: undefined, boundFactor: undefined, at: directive.at };
  if (method === 'learn') {
    const timeout = parameter(directive, 'timeout');
    return { kind: 'learn', ttlMs: timeout === undefined ? STICKY_LEARN_DEFAULT_TIMEOUT_MS : parseNginxDurationMs(timeout), boundFactor: undefined, at: directive.at };
  }
  return method === undefined ? undefined : { kind: 'other', ttlMs: undefined, boundFactor: undefined, at: directive.at };
}

/** NGINX Plus `health_check [interval=5s] [fails=1] [passes=1]`; the defaults are what NGINX Plus applies. */
function healthCheckOf(uses: readonly UpstreamUse[]): HealthCheck | undefined {
  const directive = uses.flatMap((use) => use.healthChecks)[0];
  if (directive === undefined) return undefined;
  const interval = parameter(directive, 'interval');
  return {
    isEnabled: true,
    intervalMs: interval === undefined ? 5000 : parseNginxDurationMs(interval),
    timeoutMs: undefined,
    rise: parseCount(parameter(directive, 'passes') ?? '1'),
    fall: parseCount(parameter(directive, 'fails') ?? '1'),
    at: directive.at,
  };
}

function longestTimeout(uses: readonly UpstreamUse[], name: string): Located<number> | undefined {
  let longest: Located<number> | undefined;
  for (const use of uses) {
    const directive = use.effective.get(name);
    const valueMs = directive?.args[0] === undefined ? undefined : parseNginxDurationMs(directive.args[0].value);
    if (directive === undefined || valueMs === undefined) continue;
    if (longest === undefined || valueMs > longest.value) longest = { value: valueMs, at: directive.at };
  }
  return longest;
}

function timeoutsOf(uses: readonly UpstreamUse[]): Timeouts {
  const connect = longestTimeout(uses, 'proxy_connect_timeout');
  const server = longestTimeout(uses, 'proxy_read_timeout');
  return { ...(connect === undefined ? {} : { connect }), ...(server === undefined ? {} : { server }) };
}

/** `proxy_next_upstream ... non_idempotent` lets NGINX resend a POST to the next server; `proxy_next_upstream_tries` caps the tries (0 = no cap). */
function retriesOf(uses: readonly UpstreamUse[]): Retries | undefined {
  let retries: Retries | undefined;
  for (const use of uses) {
    const nextUpstream = use.effective.get('proxy_next_upstream');
    const tries = use.effective.get('proxy_next_upstream_tries');
    if (nextUpstream === undefined && tries === undefined) continue;
    const triesCount = parseCount(tries?.args[0]?.value);
    const candidate: Retries = {
      count: triesCount === 0 ? undefined : triesCount,
      retriesNonIdempotent: nextUpstream !== undefined && hasFlag(nextUpstream, 'non_idempotent') && !hasFlag(nextUpstream, 'off'),
      at: (nextUpstream ?? tries)!.at,
    };
    if (retries === undefined || (candidate.retriesNonIdempotent && !retries.retriesNonIdempotent)) retries = candidate;
  }
  return retries;
}
