import type { AuditFinding, Severity } from '../finding.js';
import type { AuditedConfig, AuditedPool, AuditedServer, SourcePosition } from '../model.js';

// What every audit rule is: a stable id, a default severity, documented thresholds, and a check that
// judges only the neutral model (src/audit/model.ts), so one rule covers evenkeel, NGINX and HAProxy.

/** A rule as tools describe it (SARIF `rules`, `evenkeel audit --format sarif`). */
export interface RuleDescription {
  readonly id: string;
  readonly name: string;
  readonly defaultSeverity: Severity;
  readonly summary: string;
  readonly helpUri: string;
}

/** Numeric thresholds by name ("max_ratio"), as written in the standards file. */
export type Thresholds = Readonly<Record<string, number>>;

/** What a check reports; the runner adds the rule id, the severity and the config kind. */
export interface RuleHit {
  readonly message: string;
  readonly hint: string;
  readonly at: SourcePosition;
}

export interface AuditRule extends RuleDescription {
  /** Every threshold the rule reads, with its default. */
  readonly thresholds: Thresholds;
  readonly check: (config: AuditedConfig, thresholds: Thresholds) => RuleHit[];
}

/** docs/audit-rules.md#ek101: the anchor of a rule's section. */
export function helpUriOf(id: string): string {
  return `docs/audit-rules.md#${id.toLowerCase()}`;
}

/** Turns a rule's hits into findings at the given severity. */
export function toFindings(rule: AuditRule, config: AuditedConfig, hits: readonly RuleHit[], severity: Severity): AuditFinding[] {
  return hits.map((hit) => ({ ruleId: rule.id, severity, message: hit.message, hint: hit.hint, kind: config.kind, at: hit.at }));
}

/** "upstream app", "backend app", "pool app": how the pool's product names it. */
export function poolLabel(config: AuditedConfig, pool: AuditedPool): string {
  if (config.kind === 'nginx') return `upstream ${pool.name}`;
  if (config.kind === 'haproxy') return `backend ${pool.name}`;
  return `pools.${pool.name}`;
}

/** Servers that take traffic in normal operation: not backup, not turned off. */
export function activeServers(pool: AuditedPool): AuditedServer[] {
  return pool.servers.filter((server) => !server.isBackup && !server.isDisabled);
}

/** A server's weight as the product applies it when none is written (1 in NGINX and HAProxy, 100 in evenkeel). */
export function effectiveWeight(config: AuditedConfig, server: AuditedServer): number {
  return server.weight ?? (config.kind === 'evenkeel' ? 100 : 1);
}

export function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}
