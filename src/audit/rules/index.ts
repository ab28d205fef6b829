import { healthCheckRange, healthChecksMissing, passiveDetectionOff } from './health-rules.js';
import { exposedAdminCanChangeState, exposedAdminWithoutAuth } from './exposure-rules.js';
import { longPersistenceTtl, looseLoadBound, sourceIpAffinity, unboundedPersistence } from './persistence-rules.js';
import { longTimeouts, missingTimeouts, nonIdempotentRetries } from './timeout-rules.js';
import type { AuditRule, RuleDescription } from './rule.js';
import { allBackup, dominantServer, noConnectionLimit, noSlowStart, tooFewServers, weightRatio } from './weight-rules.js';

export { helpUriOf, type AuditRule, type RuleDescription, type RuleHit, type Thresholds } from './rule.js';

/** Every audit rule, in id order. Ids are stable: a retired rule's id is never reused. */
export const AUDIT_RULES: readonly AuditRule[] = [
  unboundedPersistence,
  sourceIpAffinity,
  longPersistenceTtl,
  looseLoadBound,
  weightRatio,
  dominantServer,
  tooFewServers,
  allBackup,
  noSlowStart,
  noConnectionLimit,
  healthChecksMissing,
  healthCheckRange,
  passiveDetectionOff,
  missingTimeouts,
  longTimeouts,
  nonIdempotentRetries,
  exposedAdminWithoutAuth,
  exposedAdminCanChangeState,
];

/** The rules as tools describe them (SARIF, `--format json`). */
export const RULES: readonly RuleDescription[] = AUDIT_RULES.map(({ id, name, defaultSeverity, summary, helpUri }) => ({ id, name, defaultSeverity, summary, helpUri }));
