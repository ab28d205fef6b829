import type { Config, PoolConfig } from '../../config/index.js';
import type { ChangeFinding } from '../changes/change-request.js';
import type { Policy } from './policy.js';

// Guardrails refuse a change outright, each with a reason a person can act on. They look only at the
// two configs (and, for capacity, at which backends are healthy now): what the change does, not who
// asked. Who must approve is policy.ts's question; what the traffic would do is the simulation's.

/** Is backend `backend` of `pool` healthy right now? undefined when unknown (counted as healthy). */
export type BackendHealthView = (pool: string, backend: string) => boolean | undefined;

export const GUARDRAIL_RULES = {
  maxWeightFactor: 'guardrail.max_weight_factor',
  maxDrainShare: 'guardrail.max_drain_share',
  minHealthyCapacity: 'guardrail.min_healthy_capacity',
  boundRemoved: 'guardrail.persistence_bound_removed',
} as const;

/** Every guardrail finding of changing `live` into `proposed`; each one is error-level (it refuses). */
export function evaluateGuardrails(live: Config, proposed: Config, policy: Policy, isHealthy: BackendHealthView = () => undefined): ChangeFinding[] {
  const guardrails = policy.guardrails;
  const findings: ChangeFinding[] = [];
  for (const [name, next] of Object.entries(proposed.pools)) {
    const previous = live.pools[name] as PoolConfig | undefined;
    if (guardrails.forbid_bound_removal) findings.push(...boundFindings(name, previous, next));
    if (previous === undefined) continue;
    findings.push(...weightFactorFindings(name, previous, next, guardrails.max_weight_factor));
    const drain = drainFinding(name, previous, next, guardrails.max_drain_share);
    if (drain !== undefined) findings.push(drain);
    const capacity = capacityFinding(name, previous, next, guardrails.min_healthy_capacity, isHealthy);
    if (capacity !== undefined) findings.push(capacity);
  }
  return findings;
}

function weightFactorFindings(pool: string, previous: PoolConfig, next: PoolConfig, maxFactor: number): ChangeFinding[] {
  const findings: ChangeFinding[] = [];
  const before = new Map(previous.backends.map((backend) => [backend.id, backend.weight]));
  for (const backend of next.backends) {
    const from = before.get(backend.id);
    // Weight 0 is draining (max_drain_share judges it) and 0 -> N is undraining (slow start ramps it).
    if (from === undefined || from === 0 || backend.weight === 0) continue;
    const factor = Math.max(backend.weight / from, from / backend.weight);
    if (factor > maxFactor) {
      const direction = backend.weight > from ? `x${round(factor)}` : `/${round(factor)}`;
      findings.push({
        rule: GUARDRAIL_RULES.maxWeightFactor,
        severity: 'error',
        message: `pools.${pool}: ${backend.id} weight ${from} -> ${backend.weight} is a ${direction} change; policy.guardrails.max_weight_factor allows at most x${maxFactor} or /${maxFactor} per change: change it in steps, each approved on its own`,
      });
    }
  }
  return findings;
}

function drainFinding(pool: string, previous: PoolConfig, next: PoolConfig, maxShare: number): ChangeFinding | undefined {
  const proposed = new Map(next.backends.map((backend) => [backend.id, backend]));
  const outBefore = previous.backends.filter(isOutOfService).length;
  const outAfter = previous.backends.filter((backend) => {
    const after = proposed.get(backend.id);
    return after === undefined || isOutOfService(after);
  });
  const share = outAfter.length / previous.backends.length;
  // Judged on the resulting state, so five one-backend drains cannot add up to a whole pool; and only
  // when the change makes it worse, so undraining during an outage is never refused.
  if (share <= maxShare || outAfter.length <= outBefore) return undefined;
  return {
    rule: GUARDRAIL_RULES.maxDrainShare,
    severity: 'error',
    message: `pools.${pool}: ${outAfter.length} of ${previous.backends.length} backends (${percent(share)}) would be drained, at weight 0 or removed (${outAfter.map((backend) => backend.id).join(', ')}); policy.guardrails.max_drain_share allows ${percent(maxShare)}: drain fewer at once`,
  };
}

function capacityFinding(pool: string, previous: PoolConfig, next: PoolConfig, minShare: number, isHealthy: BackendHealthView): ChangeFinding | undefined {
  // Capacity is measured in live weight: weights are relative, so the live weights are the only common
  // unit of both configs ("web-1 carried 100 of the pool's 500"). A backend the change adds has no
  // proven capacity yet and counts for nothing.
  const proposed = new Map(next.backends.map((backend) => [backend.id, backend]));
  let liveWeight = 0;
  let liveHealthy = 0;
  let proposedHealthy = 0;
  for (const backend of previous.backends) {
    if (isOutOfService(backend)) continue;
    liveWeight += backend.weight;
    const healthy = isHealthy(pool, backend.id) !== false;
    if (!healthy) continue;
    liveHealthy += backend.weight;
    const after = proposed.get(backend.id);
    if (after !== undefined && !isOutOfService(after)) proposedHealthy += backend.weight;
  }
  if (liveWeight === 0) return undefined;
  const share = proposedHealthy / liveWeight;
  if (share >= minShare || proposedHealthy >= liveHealthy) return undefined;
  return {
    rule: GUARDRAIL_RULES.minHealthyCapacity,
    severity: 'error',
    message: `pools.${pool}: healthy backends left in service would hold ${percent(share)} of the pool's live weight (${proposedHealthy} of ${liveWeight}); policy.guardrails.min_healthy_capacity requires ${percent(minShare)}: bring backends back first, or drain fewer`,
  };
}

function boundFindings(pool: string, previous: PoolConfig | undefined, next: PoolConfig): ChangeFinding[] {
  const findings: ChangeFinding[] = [];
  const nextPersistence = next.persistence as { by: string; bound?: unknown };
  const previousPersistence = previous?.persistence as { by: string; bound?: unknown } | undefined;
  if (nextPersistence.by !== 'none' && !isBound(nextPersistence.bound)) {
    const wasBounded = previousPersistence !== undefined && previousPersistence.by !== 'none' && isBound(previousPersistence.bound);
    const wasOn = previousPersistence !== undefined && previousPersistence.by !== 'none';
    if (wasBounded || !wasOn) {
      findings.push({
        rule: GUARDRAIL_RULES.boundRemoved,
        severity: 'error',
        message: wasBounded
          ? `pools.${pool}: persistence ${nextPersistence.by} bound ${String(previousPersistence.bound)} -> none removes the load bound that keeps sticky sessions from piling onto few backends (the 2024-05-01 incident); keep a bound such as 1.25`
          : `pools.${pool}: persistence ${nextPersistence.by} would be switched on without a load bound, so sticky sessions could pile onto few backends (the 2024-05-01 incident); set persistence.bound, such as 1.25`,
      });
    }
  }
  if (next.algorithm === 'hash') {
    const nextBound = (next.hash as { bound?: unknown } | undefined)?.bound ?? 1.25;
    const previousBound = previous?.algorithm === 'hash' ? ((previous.hash as { bound?: unknown } | undefined)?.bound ?? 1.25) : undefined;
    if (!isBound(nextBound) && (previousBound === undefined || isBound(previousBound))) {
      findings.push({
        rule: GUARDRAIL_RULES.boundRemoved,
        severity: 'error',
        message: `pools.${pool}: consistent hashing ${previousBound === undefined ? 'without' : `bound ${String(previousBound)} -> none removes its`} load bound, so a popular key could overload one backend; keep hash.bound, such as 1.25`,
      });
    }
  }
  return findings;
}

/** A load bound factor is a finite number above 1; anything else (none, null, missing) is no bound. */
function isBound(bound: unknown): boolean {
  return typeof bound === 'number' && Number.isFinite(bound) && bound > 1;
}

function isOutOfService(backend: { weight: number; drain: boolean }): boolean {
  return backend.drain || backend.weight === 0;
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}

function round(factor: number): string {
  return String(Math.round(factor * 100) / 100);
}
