import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/index.js';
import { AutoRollback, listEvents, EVENT_KINDS, type ChangeRequest } from '../../../src/control/index.js';
import type { Alert, Cause } from '../../../src/monitor/index.js';
import { DIALECTS } from '../store-fixture.js';
import { actors, openChangeHarness, portal, type ChangeHarness } from './change-fixture.js';

const SUMMARY = 'web-1 and web-2 carry 81% of requests, expected 40%.';

function blaming(changeId: number, overrides: Partial<Alert> = {}, causes?: Cause[]): Alert {
  const now = Date.now();
  return {
    fingerprint: `${overrides.rule ?? 'skew'}/portal/*`,
    rule: 'skew',
    severity: 'critical',
    pool: 'portal',
    backend: undefined,
    state: 'firing',
    startedAt: now - 3000,
    firingAt: now,
    resolvedAt: undefined,
    summary: SUMMARY,
    evidence: { observedShare: 0.81, expectedShare: 0.4 },
    backends: ['web-1', 'web-2'],
    causes: causes ?? [
      { kind: 'persistence', summary: '74% of their requests are pinned by cookie persistence', score: 0.5 },
      { kind: 'config_change', summary: `change ${changeId} (automation 'weights.sh') raised web-1 and web-2 weights 100 -> 400`, score: 0.9, changeId },
    ],
    actions: [],
    ...overrides,
  };
}

/** The script proposes, an approver approves and applies: the change is live. */
async function applyScriptChange(harness: ChangeHarness, weights: number[]): Promise<ChangeRequest> {
  const proposed = await harness.service.propose({ actor: actors.script, source: 'automation', reason: 'weights.sh nightly rebalance', config: portal(weights, { extra: policies.get(harness) }) });
  await harness.service.approve(proposed.id, actors.bo);
  return harness.service.apply(proposed.id, actors.bo);
}

const opened: ChangeHarness[] = [];
/** The policy each harness's version 1 has; proposals keep it, so they change weights only. */
const policies = new Map<ChangeHarness, Partial<ConfigInput> | undefined>();

async function open(dialect: (typeof DIALECTS)[number], policy?: Partial<ConfigInput>): Promise<ChangeHarness> {
  const harness = await openChangeHarness(dialect, portal(undefined, { extra: policy }));
  opened.push(harness);
  policies.set(harness, policy);
  return harness;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((harness) => harness.dispose()));
  policies.clear();
});

describe.each(DIALECTS)('automatic rollback on %s', (dialect) => {
  it('does not repeat the cause when the alert summary names it already', async () => {
    const harness = await open(dialect);
    const change = await applyScriptChange(harness, [400, 400, 100, 100, 100]);
    const cause = `change ${change.id} (automation 'weights.sh') raised web-1 and web-2 weights 100 -> 400`;
    const decision = await new AutoRollback({ changes: harness.service, store: harness.store }).consider(blaming(change.id, { summary: `${SUMMARY} Likely cause: ${cause}.` }));
    if (decision.kind !== 'rolled_back') throw new Error(`expected a rollback, got ${decision.kind}`);
    expect(decision.rollback.reason.split(cause)).toHaveLength(2);
    expect(decision.rollback.reason).not.toContain('Most likely cause');
  });

  it("rolls the blamed change back to its base version at once, as the monitor, with the alert as the reason, and says so", async () => {
    const harness = await open(dialect);
    const change = await applyScriptChange(harness, [400, 400, 100, 100, 100]);
    const decision = await new AutoRollback({ changes: harness.service, store: harness.store }).consider(blaming(change.id));
    expect(decision.kind).toBe('rolled_back');
    if (decision.kind !== 'rolled_back') return;
    expect(decision.rollback).toMatchObject({ status: 'applied', author: 'monitor', authorRole: 'node', rollbackOf: change.baseVersion, needsApproval: false });
    expect(decision.rollback.reason).toContain('alert skew/portal/*');
    expect(decision.rollback.reason).toContain(SUMMARY);
    expect(decision.rollback.reason).toContain(`Most likely cause: change ${change.id} (automation 'weights.sh') raised web-1 and web-2 weights 100 -> 400.`);
    expect(harness.service.liveVersion()).toBe(decision.rollback.appliedVersion);
    expect(harness.service.liveConfig().pools.portal!.backends.map((backend) => backend.weight)).toEqual([100, 100, 100, 100, 100]);
    expect((await harness.service.get(change.id)).status).toBe('rolled_back');
    expect(decision.action).toMatchObject({ kind: 'rollback', changeId: change.id, rollbackChangeId: decision.rollback.id });
    expect(decision.action.summary).toBe(`rolled back change ${change.id}: version ${change.baseVersion} restored as version ${decision.rollback.appliedVersion} (change ${decision.rollback.id})`);
    const proposedEvents = await listEvents(harness.store, { kind: EVENT_KINDS.changeProposed, actor: 'monitor' });
    expect(proposedEvents).toHaveLength(1);
    expect(proposedEvents[0]!.data).toMatchObject({ reason: expect.stringContaining(SUMMARY), rollbackOf: change.baseVersion, needsApproval: false });
  });

  it('never rolls the same change back twice, on this node or after a restart', async () => {
    const harness = await open(dialect);
    const change = await applyScriptChange(harness, [400, 400, 100, 100, 100]);
    const auto = new AutoRollback({ changes: harness.service, store: harness.store });
    expect((await auto.consider(blaming(change.id))).kind).toBe('rolled_back');
    const again = await auto.consider(blaming(change.id, { rule: 'latency', fingerprint: 'latency/portal/*' }));
    expect(again).toEqual({ kind: 'skipped', reason: `change ${change.id} was already rolled back by this node` });
    const restarted = new AutoRollback({ changes: harness.service, store: harness.store });
    expect(await restarted.consider(blaming(change.id))).toEqual({ kind: 'skipped', reason: `change ${change.id} is rolled_back, not applied` });
  });

  it('also undoes a later change built on the blamed one, and says how many versions it undid', async () => {
    const harness = await open(dialect);
    const first = await applyScriptChange(harness, [400, 400, 100, 100, 100]);
    const second = await applyScriptChange(harness, [100, 100, 100, 100, 100].map((weight, i) => (i === 4 ? 150 : weight)));
    const decision = await new AutoRollback({ changes: harness.service, store: harness.store }).consider(blaming(first.id));
    expect(decision.kind).toBe('rolled_back');
    if (decision.kind !== 'rolled_back') return;
    expect(decision.rollback.rollbackOf).toBe(first.baseVersion);
    expect(decision.action.summary).toMatch(/, undoing 1 later version too$/);
    expect((await harness.service.get(second.id)).status).toBe('rolled_back');
  });

  it('leaves alone the rules policy.auto_rollback does not list and the pools it excludes', async () => {
    const harness = await open(dialect, { policy: { auto_rollback: { exclude_pools: ['portal'] } } } as Partial<ConfigInput>);
    const change = await applyScriptChange(harness, [400, 400, 100, 100, 100]);
    const auto = new AutoRollback({ changes: harness.service, store: harness.store });
    expect(await auto.consider(blaming(change.id))).toEqual({ kind: 'skipped', reason: 'pool portal is in policy.auto_rollback.exclude_pools' });
    expect(await auto.consider(blaming(change.id, { rule: 'capacity', pool: 'other' }))).toEqual({ kind: 'skipped', reason: 'rule capacity is not in policy.auto_rollback.rules' });
    expect((await harness.service.get(change.id)).status).toBe('applied');
  });

  it('does nothing when policy.auto_rollback is disabled', async () => {
    const disabled = await open(dialect, { policy: { auto_rollback: { enabled: false } } } as Partial<ConfigInput>);
    const other = await applyScriptChange(disabled, [400, 400, 100, 100, 100]);
    expect(await new AutoRollback({ changes: disabled.service, store: disabled.store }).consider(blaming(other.id))).toEqual({ kind: 'skipped', reason: 'policy.auto_rollback.enabled is false' });
  });

  it('leaves a change applied longer ago than policy.auto_rollback.window before the alert fired', async () => {
    const late = await open(dialect, { policy: { auto_rollback: { window: '1m' } } } as Partial<ConfigInput>);
    const old = await applyScriptChange(late, [400, 400, 100, 100, 100]);
    const inTwoMinutes = Date.now() + 120_000;
    const decision = await new AutoRollback({ changes: late.service, store: late.store }).consider(blaming(old.id, { firingAt: inTwoMinutes }));
    expect(decision).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/outside policy\.auto_rollback\.window \(60 s\)$/) });
  });

  it('does not act when the most likely cause is not a config change, or the alert is not firing', async () => {
    const harness = await open(dialect);
    const change = await applyScriptChange(harness, [400, 400, 100, 100, 100]);
    const auto = new AutoRollback({ changes: harness.service, store: harness.store });
    const health: Cause[] = [
      { kind: 'health', summary: 'web-3 went down', score: 0.95 },
      { kind: 'config_change', summary: 'change 1', score: 0.4, changeId: change.id },
    ];
    expect(await auto.consider(blaming(change.id, {}, health))).toEqual({ kind: 'skipped', reason: 'the most likely cause is not a config change (health)' });
    expect((await auto.consider(blaming(change.id, { state: 'pending', firingAt: undefined }))).kind).toBe('skipped');
    const nearby: Cause[] = [{ kind: 'config_change', summary: 'change 1 happened 2 minutes before', score: 0.3, changeId: change.id }];
    expect(await auto.consider(blaming(change.id, {}, nearby))).toMatchObject({ kind: 'skipped', reason: expect.stringContaining('does not explain it') });
    expect((await harness.service.get(change.id)).status).toBe('applied');
  });
});
