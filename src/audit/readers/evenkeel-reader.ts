import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, locatePath, parseConfigText, splitListenAddress, type Config, type PoolConfig } from '../../config/index.js';
import type { AdminInterface, AuditedConfig, AuditedPool, AuditedServer, BalanceAlgorithm, Hashing, Persistence, Setting, SourcePosition } from '../model.js';

// The evenkeel reader: the config loader validates (so the audit never judges a file evenkeel would
// refuse), and the YAML document gives every pool, backend and key its position. The change path has
// no file, only a Config: auditEvenkeelConfig maps it the same way with every position at line 1.

type Locate = (path: readonly PropertyKey[]) => SourcePosition;

const ALGORITHMS: Record<PoolConfig['algorithm'], BalanceAlgorithm> = {
  'round-robin': 'round-robin',
  'least-inflight': 'least-connections',
  p2c: 'least-connections',
  random: 'random',
  hash: 'hash',
};

const HASH_KEYS: Record<string, Hashing['key']> = { source_ip: 'source_ip', cookie: 'cookie', header: 'header', path: 'uri' };

/** Reads an evenkeel YAML file into the audit model; never throws (an invalid file becomes ReadProblems). */
export function readEvenkeelConfig(file: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): AuditedConfig {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    return emptyConfig(file, [{ message: `cannot read the config file: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 0, column: 0 } }]);
  }
  return readEvenkeelText(text, file);
}

/** Same as readEvenkeelConfig, from text. */
export function readEvenkeelText(text: string, file: string): AuditedConfig {
  let config: Config;
  try {
    config = parseConfigText(text, file);
  } catch (error) {
    if (error instanceof ConfigError) {
      return emptyConfig(file, error.issues.map((issue) => ({ message: issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`, at: { file, line: issue.line, column: issue.column } })));
    }
    return emptyConfig(file, [{ message: `cannot read the config: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 1, column: 1 } }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const locate: Locate = (path) => ({ file, ...locatePath(doc, lineCounter, path) });
  return toAuditedConfig(config, file, locate, settingsOf(doc.toJS({ maxAliasCount: 1000 }) as unknown, locate));
}

/** The audit model of a validated config, for the change path: positions are line 1 of `file`. */
export function auditEvenkeelConfig(config: Config, file: string): AuditedConfig {
  const locate: Locate = () => ({ file, line: 1, column: 1 });
  return toAuditedConfig(config, file, locate, settingsOf(config, locate));
}

function emptyConfig(file: string, problems: AuditedConfig['problems']): AuditedConfig {
  return { kind: 'evenkeel', file, files: [file], pools: [], admin: [], settings: [], problems };
}

function toAuditedConfig(config: Config, file: string, locate: Locate, settings: Setting[]): AuditedConfig {
  const pools = Object.entries(config.pools).map(([name, pool]) => toAuditedPool(config, name, pool, locate));
  return { kind: 'evenkeel', file, files: [file], pools, admin: [adminOf(config, locate)], settings, problems: [] };
}

function toAuditedPool(config: Config, name: string, pool: PoolConfig, locate: Locate): AuditedPool {
  const at = (...path: PropertyKey[]) => locate(['pools', name, ...path]);
  const hash = pool.algorithm === 'hash' ? pool.hash : undefined;
  const hashing: Hashing | undefined =
    hash === undefined
      ? undefined
      : { key: HASH_KEYS[hash.by] ?? 'other', expression: hash.name === undefined ? hash.by : `${hash.by} ${hash.name}`, isConsistent: true, boundFactor: boundOf(hash.bound), at: at('hash') };
  const persistence: Persistence[] =
    pool.persistence.by === 'none'
      ? []
      : [{ kind: pool.persistence.by, ttlMs: pool.persistence.ttl, boundFactor: boundOf(pool.persistence.bound), at: at('persistence') }];
  const servers = pool.backends.map((backend, index): AuditedServer => {
    const limit = backend.max_inflight ?? pool.max_inflight;
    return {
      name: backend.id,
      address: backend.url,
      weight: backend.weight,
      isBackup: false,
      isDisabled: backend.drain || backend.weight === 0,
      maxConnections: limit > 0 ? limit : undefined,
      maxFails: pool.outlier.consecutive_failures,
      slowStartMs: undefined,
      hasCheck: undefined,
      at: at('backends', index),
    };
  });
  const hasLimit = servers.some((server) => server.maxConnections !== undefined);
  const timeouts = config.proxy.timeouts;
  const proxyAt = (key: string) => locate(['proxy', 'timeouts', key]);
  return {
    name,
    at: at(),
    balance: { value: ALGORITHMS[pool.algorithm], at: at('algorithm') },
    hashing,
    persistence,
    servers,
    healthCheck: { isEnabled: pool.health.path !== undefined, intervalMs: pool.health.interval, timeoutMs: pool.health.timeout, rise: pool.health.rise, fall: pool.health.fall, at: at('health') },
    slowStartMs: { value: pool.slow_start, at: at('slow_start') },
    queue: hasLimit && pool.queue.size > 0 ? { value: { size: pool.queue.size, timeoutMs: pool.queue.timeout }, at: at('queue') } : undefined,
    timeouts: {
      connect: { value: timeouts.connect, at: proxyAt('connect') },
      server: { value: timeouts.response_headers, at: proxyAt('response_headers') },
      client: { value: timeouts.idle, at: proxyAt('idle') },
      ...(timeouts.request > 0 ? { request: { value: timeouts.request, at: proxyAt('request') } } : {}),
      ...(hasLimit ? { queue: { value: pool.queue.timeout, at: at('queue') } } : {}),
    },
    // evenkeel retries only idempotent requests whose connection failed before any response byte.
    retries: { count: pool.retry.attempts, retriesNonIdempotent: false, at: at('retry') },
  };
}

function adminOf(config: Config, locate: Locate): AdminInterface {
  const address = config.admin.listen;
  return {
    kind: 'evenkeel-admin',
    address,
    isLoopbackOnly: isLoopbackHost(splitListenAddress(address).host),
    // Every admin API route that reads or changes state needs a token (only /metrics, /healthz and the
    // OpenAPI document are open, and they change nothing).
    hasAuthentication: true,
    canChangeState: true,
    at: locate(['admin', 'listen']),
  };
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** A load bound factor is a finite number above 1; anything else is no bound. */
function boundOf(bound: unknown): number | undefined {
  return typeof bound === 'number' && Number.isFinite(bound) && bound > 1 ? bound : undefined;
}

/**
 * Every scalar (or list of scalars) written, for required settings: keys under a pool are relative to
 * it with the pool as scope ("health.path" in scope "portal"), list items drop their index
 * ("backends.weight"), and top-level keys have scope "".
 */
function settingsOf(data: unknown, locate: Locate): Setting[] {
  const settings: Setting[] = [];
  const walk = (value: unknown, path: PropertyKey[], key: string, scope: string): void => {
    if (Array.isArray(value)) {
      if (value.every((item) => item === null || typeof item !== 'object')) {
        settings.push({ key, args: value.map(String), scope, at: locate(path) });
        return;
      }
      value.forEach((item, index) => walk(item, [...path, index], key, scope));
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [name, child] of Object.entries(value)) {
        const isPool = path.length === 1 && path[0] === 'pools';
        if (isPool) walk(child, [...path, name], '', name);
        else walk(child, [...path, name], key === '' ? name : `${key}.${name}`, scope);
      }
      return;
    }
    if (key !== '') settings.push({ key, args: value === undefined || value === null ? [] : [String(value)], scope, at: locate(path) });
  };
  walk(data, [], '', '');
  return settings;
}
