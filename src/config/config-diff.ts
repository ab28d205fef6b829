import type { BackendConfig, Config, PersistenceConfig, PoolConfig } from './schema.js';
import { formatDurationMs } from './units.js';

// The diff of two configs in words, one short sentence per change, so that a change request can be
// read by the person who approves it ("web-1 weight 100 -> 400") instead of as a YAML diff. The
// order is stable: top-level sections as the schema orders them, pools by name, backends in order.

// Keys whose values are durations (milliseconds in code); they are written back as "2s", "30m".
const DURATION_KEYS = new Set([
  'interval', 'timeout', 'ttl', 'base_ejection', 'max_ejection', 'slow_start',
  'connect', 'response_headers', 'idle', 'request', 'drain_timeout', 'latency',
]);

/** Describes every difference between two configs, one sentence each; [] when they are the same. */
export function describeConfigChanges(before: Config, after: Config): string[] {
  const lines: string[] = [];
  const keys = unionKeys(before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>);
  for (const key of keys) {
    if (key === 'pools') describePools(before.pools, after.pools, lines);
    else if (key === 'routes') describeRoutes(before.routes, after.routes, lines);
    else describeLeaves(key, (before as unknown as Record<string, unknown>)[key], (after as unknown as Record<string, unknown>)[key], lines);
  }
  return lines;
}

function describePools(before: Config['pools'], after: Config['pools'], lines: string[]): void {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const name of names) {
    const old = before[name];
    const next = after[name];
    if (old === undefined) lines.push(`pools.${name} added (${countBackends(next.backends.length)})`);
    else if (next === undefined) lines.push(`pools.${name} removed`);
    else describePool(name, old, next, lines);
  }
}

function describePool(name: string, before: PoolConfig, after: PoolConfig, lines: string[]): void {
  const prefix = `pools.${name}`;
  for (const key of unionKeys(before, after)) {
    if (key === 'backends') describeBackends(prefix, before.backends, after.backends, lines);
    else if (key === 'algorithm') {
      if (before.algorithm !== after.algorithm) lines.push(`${prefix}: algorithm ${before.algorithm} -> ${after.algorithm}`);
    } else if (key === 'persistence') describePersistence(prefix, before.persistence, after.persistence, lines);
    else describeLeaves(`${prefix}.${key}`, (before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], lines);
  }
}

function describePersistence(prefix: string, before: PersistenceConfig, after: PersistenceConfig, lines: string[]): void {
  const old = persistenceSummary(before);
  const next = persistenceSummary(after);
  if (old !== next) lines.push(`${prefix}: persistence ${old} -> ${next}`);
  // With persistence off, its other settings do nothing, so a change to them is not news.
  if (before.by === 'none' || after.by === 'none') return;
  for (const key of ['name', 'ttl'] as const) describeLeaves(`${prefix}.persistence.${key}`, before[key], after[key], lines);
}

function persistenceSummary(persistence: PersistenceConfig): string {
  return persistence.by === 'none' ? 'none' : `${persistence.by} bound ${persistence.bound}`;
}

function describeBackends(prefix: string, before: BackendConfig[], after: BackendConfig[], lines: string[]): void {
  const afterById = new Map(after.map((backend) => [backend.id, backend]));
  const beforeIds = new Set(before.map((backend) => backend.id));
  for (const old of before) {
    const next = afterById.get(old.id);
    if (next === undefined) {
      lines.push(`${prefix}: ${old.id} removed`);
      continue;
    }
    if (old.weight !== next.weight) lines.push(`${prefix}: ${old.id} weight ${old.weight} -> ${next.weight}`);
    if (old.drain !== next.drain) lines.push(`${prefix}: ${old.id} ${next.drain ? 'drained' : 'undrained'}`);
    if (old.url !== next.url) lines.push(`${prefix}: ${old.id} url ${old.url} -> ${next.url}`);
    if (old.max_inflight !== next.max_inflight) lines.push(`${prefix}: ${old.id} max_inflight ${formatValue('max_inflight', old.max_inflight)} -> ${formatValue('max_inflight', next.max_inflight)}`);
  }
  for (const next of after) {
    if (!beforeIds.has(next.id)) lines.push(`${prefix}: ${next.id} added (${next.url}, weight ${next.weight}${next.drain ? ', drained' : ''})`);
  }
}

function describeRoutes(before: Config['routes'], after: Config['routes'], lines: string[]): void {
  if (before.length !== after.length) {
    lines.push(`routes: ${before.length} -> ${after.length} rules`);
    return;
  }
  before.forEach((route, index) => describeLeaves(`routes[${index}]`, route, after[index], lines));
}

/** Walks two values side by side and names every leaf that differs. */
function describeLeaves(path: string, before: unknown, after: unknown, lines: string[]): void {
  if (isRecord(before) && isRecord(after)) {
    for (const key of unionKeys(before, after)) describeLeaves(joinPath(path, key), before[key], after[key], lines);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    before.forEach((item, index) => describeLeaves(`${path}[${index}]`, item, after[index], lines));
    return;
  }
  const key = lastKey(path);
  const old = formatValue(key, before);
  const next = formatValue(key, after);
  if (old === next) return;
  // The diff goes into change requests and the append-only audit log: a secret's value must not.
  if (SECRET_KEYS.has(key)) lines.push(`${path} changed (${before === undefined ? 'set' : after === undefined ? 'unset' : 'new value'}; secret, not shown)`);
  else lines.push(`${path} ${old} -> ${next}`);
}

/** Keys whose values are secrets: named in a diff, never shown. */
const SECRET_KEYS = new Set(['cookie_secret', 'secret']);

function formatValue(key: string, value: unknown): string {
  if (value === undefined) return 'unset';
  if (typeof value === 'number' && DURATION_KEYS.has(key)) return formatDurationMs(value);
  if (typeof value === 'string') return /^[\w./:@*-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function unionKeys(before: object, after: object): string[] {
  const keys = Object.keys(before);
  for (const key of Object.keys(after)) if (!keys.includes(key)) keys.push(key);
  return keys;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function joinPath(path: string, key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function lastKey(path: string): string {
  const match = /([A-Za-z0-9_-]+)(?:\[\d+\])*$/.exec(path);
  return match ? match[1] : path;
}

function countBackends(count: number): string {
  return count === 1 ? '1 backend' : `${count} backends`;
}
