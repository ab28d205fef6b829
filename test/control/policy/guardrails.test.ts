import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configSchema, type Config, type ConfigInput } from '../../../src/config/index.js';
import { evaluateGuardrails, isApprovalRequired, policyOf, type Policy } from '../../../src/control/index.js';

function pool(weights: number[], drain: boolean[] = [], extra: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    pools: {
      portal: {
        ...extra,
        backends: weights.map((weight, i) => ({ id: `web-${i + 1}`, url: `http://10.0.0.${11 + i}:8000`, weight, drain: drain[i] ?? false })),
      },
    },
  } as ConfigInput);
}

const defaults: Policy = policyOf(pool([100]));
const rules = (live: Config, proposed: Config, policy: Policy = defaults, isHealthy?: (pool: string, backend: string) => boolean | undefined) =>
  evaluateGuardrails(live, proposed, policy, isHealthy).map((finding) => finding.rule);

describe('guardrails', () => {
  it("lets the postmortem's x4 pass the weight guardrail (the simulation flags it instead) and refuses x50", () => {
    const live = pool([100, 100, 100, 100, 100]);
    expect(rules(live, pool([400, 400, 100, 100, 100]))).toEqual([]);
    expect(rules(live, pool([25, 100, 100, 100, 100]))).toEqual([]);
    expect(rules(live, pool([5000, 100, 100, 100, 100]))).toEqual(['guardrail.max_weight_factor']);
    expect(rules(live, pool([20, 100, 100, 100, 100]))).toEqual(['guardrail.max_weight_factor']);
  });

  it('counts weight 0 as draining rather than as an infinite weight factor', () => {
    const live = pool([100, 100, 100, 100]);
    expect(rules(live, pool([0, 100, 100, 100]))).toEqual([]);
    expect(rules(pool([0, 100, 100, 100]), live)).toEqual([]);
  });

  it('refuses leaving more than max_drain_share of a pool out of service, but never refuses bringing backends back', () => {
    const live = pool([100, 100, 100, 100]);
    expect(rules(live, pool([100, 100, 100, 100], [true, true]))).toEqual([]);
    expect(rules(live, pool([100, 100, 0, 100], [true, true]))).toEqual(['guardrail.max_drain_share', 'guardrail.min_healthy_capacity']);
    // Removing backends counts like draining them.
    expect(rules(live, pool([100]))).toEqual(['guardrail.max_drain_share', 'guardrail.min_healthy_capacity']);
    // Already 3 of 4 out: undraining one is allowed although the pool stays over the share.
    expect(rules(pool([100, 100, 100, 100], [true, true, true]), pool([100, 100, 100, 100], [true, true]))).toEqual([]);
  });

  it('refuses a change that leaves too little healthy capacity, judged with the live health', () => {
    const live = pool([100, 100, 100, 100]);
    const isHealthy = (_pool: string, backend: string) => backend !== 'web-1' && backend !== 'web-2';
    // web-1 and web-2 are down: draining web-3 leaves 100 of 400 healthy in service.
    expect(rules(live, pool([100, 100, 100, 100], [false, false, true]), defaults, isHealthy)).toEqual(['guardrail.min_healthy_capacity']);
    expect(rules(live, pool([100, 100, 100, 100], [false, false, true]))).toEqual([]);
  });

  it('refuses removing a persistence or hashing load bound, and switching persistence on without one', () => {
    // The schema always fills a bound; a config edited in the store or a future `bound: none` can lack one.
    const bounded = pool([100, 100], [], { persistence: { by: 'cookie', bound: 1.25 } });
    const unbounded = structuredClone(bounded);
    (unbounded.pools.portal.persistence as { bound: unknown }).bound = null;
    expect(rules(bounded, unbounded)).toEqual(['guardrail.persistence_bound_removed']);
    expect(evaluateGuardrails(bounded, unbounded, defaults)[0].message).toContain('bound 1.25 -> none');
    expect(rules(pool([100, 100]), unbounded)).toEqual(['guardrail.persistence_bound_removed']);
    expect(rules(unbounded, unbounded)).toEqual([]);
    expect(rules(bounded, unbounded, policyOf({ policy: { guardrails: { forbid_bound_removal: false } } }))).toEqual([]);

    const hashed = pool([100, 100], [], { algorithm: 'hash', hash: { by: 'header', name: 'x-user', bound: 1.25 } });
    const hashedUnbounded = structuredClone(hashed);
    (hashedUnbounded.pools.portal.hash as { bound: unknown }).bound = Infinity;
    expect(rules(hashed, hashedUnbounded)).toEqual(['guardrail.persistence_bound_removed']);
  });

  it('never refuses a change that changes nothing', () => {
    const weights = fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(weights, fc.array(fc.boolean(), { maxLength: 8 }), (w, d) => {
        const config = pool(w, d);
        expect(evaluateGuardrails(config, config, defaults)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a weight change exactly when its factor, up or down, exceeds max_weight_factor', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 1.01, max: 100, noNaN: true }), (from, to, factor) => {
        const policy = policyOf({ policy: { guardrails: { max_weight_factor: factor } } });
        const forward = rules(pool([from, 100]), pool([to, 100]), policy);
        const backward = rules(pool([to, 100]), pool([from, 100]), policy);
        // The same step is refused in both directions: undoing a change is judged like making it.
        expect(forward).toEqual(backward);
        expect(forward.includes('guardrail.max_weight_factor')).toBe(Math.max(to / from, from / to) > factor);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps at most max_drain_share of a pool out of service over any sequence of accepted changes', () => {
    const step = fc.array(fc.boolean(), { minLength: 6, maxLength: 6 });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.double({ min: 0, max: 1, noNaN: true }), (steps, maxShare) => {
        const policy = policyOf({ policy: { guardrails: { max_drain_share: maxShare, min_healthy_capacity: 0 } } });
        let live = pool([100, 100, 100, 100, 100, 100]);
        for (const drain of steps) {
          const proposed = pool([100, 100, 100, 100, 100, 100], drain);
          if (evaluateGuardrails(live, proposed, policy).length === 0) live = proposed;
          const out = live.pools.portal.backends.filter((backend) => backend.drain).length;
          expect(out / 6).toBeLessThanOrEqual(maxShare);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('approval policy', () => {
  const human = { name: 'ana', role: 'operator' as const, tokenId: 't1' };
  const script = { name: 'weights.sh', role: 'automation' as const, tokenId: 't2' };

  it('always holds automation, always holds a flagged change, and holds the sources require_approval lists', () => {
    const none = policyOf({ policy: { require_approval: [] } });
    expect(isApprovalRequired(none, 'automation', script, false)).toBe(true);
    expect(isApprovalRequired(none, 'api', script, false)).toBe(true);
    expect(isApprovalRequired(none, 'file', human, true)).toBe(true);
    expect(isApprovalRequired(none, 'cli', human, false)).toBe(false);
    expect(isApprovalRequired(defaults, 'cli', human, false)).toBe(true);
    expect(isApprovalRequired(defaults, 'file', human, false)).toBe(false);
  });

  it('will not let automation or viewers into approve_roles', () => {
    expect(() => configSchema.shape.policy.parse({ approve_roles: ['approver', 'automation'] })).toThrow(/automation tokens can never approve/);
    expect(() => configSchema.shape.policy.parse({ approve_roles: ['viewer'] })).toThrow(/viewer/);
  });
});
