import { afterEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/index.js';
import { ChangeRefusedError, listEvents, verifyEvents, type ChangeFinding } from '../../../src/control/index.js';
import { DIALECTS } from '../store-fixture.js';
import { actors, caught, openChangeHarness, portal, type ChangeHarness } from './change-fixture.js';

const withPolicy = (policy: Record<string, unknown>, weights?: number[]) => portal(weights, { extra: { policy } as Partial<ConfigInput> });

describe.each(DIALECTS)('change policy in the %s store', (dialect) => {
  let harness: ChangeHarness;
  afterEach(async () => {
    await harness.dispose();
  });

  it("applies an edit of the node's own config file without approval, but holds a flagged one", async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    const plain = await service.propose({ actor: actors.file, source: 'file', reason: 'SIGHUP', config: portal([100, 100, 100, 100, 110]) });
    expect(plain).toMatchObject({ needsApproval: false, isFlagged: false, authorRole: 'file' });
    await service.apply(plain.id, actors.file);

    const flagged = await service.propose({ actor: actors.file, source: 'file', reason: 'SIGHUP', config: portal([400, 400, 100, 100, 110]) });
    expect(flagged).toMatchObject({ needsApproval: true, isFlagged: true });
    expect((await caught(() => service.apply(flagged.id, actors.file))).code).toBe('EK_CHANGE_STATE');
  });

  it('lets a team drop approval for its own sources while automation and flagged changes still wait', async () => {
    harness = await openChangeHarness(dialect, withPolicy({ require_approval: [] }));
    const { service } = harness;
    const direct = await service.propose({ actor: actors.ana, source: 'cli', reason: 'small nudge', config: withPolicy({ require_approval: [] }, [110, 100, 100, 100, 100]) });
    expect(direct.needsApproval).toBe(false);
    expect((await service.apply(direct.id, actors.ana)).appliedVersion).toBe(2);

    const script = await service.propose({ actor: actors.script, source: 'automation', reason: 'nudge', config: withPolicy({ require_approval: [] }, [110, 110, 100, 100, 100]) });
    expect(script).toMatchObject({ needsApproval: true, isFlagged: false });
    const flagged = await service.propose({ actor: actors.ana, source: 'cli', reason: 'big move', config: withPolicy({ require_approval: [] }, [400, 400, 100, 100, 100]) });
    expect(flagged).toMatchObject({ needsApproval: true, isFlagged: true });
  });

  it('judges a change by the live policy, and holds a change to the policy itself for an approver', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    // Loosening the rules in the same change does not let that change through.
    const loosen = await service.propose({ actor: actors.ana, source: 'api', reason: 'fewer approvals', config: withPolicy({ require_approval: [], guardrails: { max_weight_factor: 100 } }, [5000, 100, 100, 100, 100]) }).catch((error: unknown) => error);
    expect(loosen).toBeInstanceOf(ChangeRefusedError);

    const policyOnly = await service.propose({ actor: actors.ana, source: 'api', reason: 'fewer approvals', config: withPolicy({ require_approval: [] }) });
    expect(policyOnly).toMatchObject({ needsApproval: true, isFlagged: true });
    expect(policyOnly.findings).toEqual([expect.objectContaining({ rule: 'change.policy', severity: 'warning' })]);
  });

  it('refuses an API change to a restart-only setting and records a file change to one with a note', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    const moved = portal(undefined, { extra: { admin: { listen: '127.0.0.1:9191' } } });
    const refused = await caught(() => service.propose({ actor: actors.ana, source: 'api', reason: 'move admin', config: moved }));
    expect(refused).toBeInstanceOf(ChangeRefusedError);
    expect((refused as ChangeRefusedError).findings).toEqual([expect.objectContaining({ rule: 'change.restart_only', severity: 'error' })]);
    expect(refused.message).toContain('admin.listen "127.0.0.1:9090" -> "127.0.0.1:9191" cannot change while the node runs');

    const fromFile = await service.propose({ actor: actors.file, source: 'file', reason: 'new admin port', config: moved });
    expect(fromFile.findings).toEqual([expect.objectContaining({ rule: 'change.restart_only', severity: 'note' })]);
    expect(fromFile.needsApproval).toBe(false);
  });

  it('refuses draining more than half of a pool at once, and accepts half', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    const refused = await caught(() => service.propose({ actor: actors.ana, source: 'cli', reason: 'maintenance', config: portal([100, 100, 100, 100, 100], { drain: [true, true, true] }) }));
    expect((refused as ChangeRefusedError).findings.map((finding) => finding.rule)).toEqual(['guardrail.max_drain_share', 'guardrail.min_healthy_capacity']);
    expect(refused.message).toContain('3 of 5 backends (60%)');
    const two = await service.propose({ actor: actors.ana, source: 'cli', reason: 'maintenance', config: portal([100, 100, 100, 100, 100], { drain: [true, true] }) });
    expect(two.status).toBe('proposed');
  });

  it('refuses on error-level audit findings and holds a change with warnings', async () => {
    let findings: ChangeFinding[] = [{ rule: 'EK101', severity: 'error', message: 'persistence without health checks' }];
    harness = await openChangeHarness(dialect, portal(), { audit: () => findings });
    const { service } = harness;
    const refused = await caught(() => service.propose({ actor: actors.file, source: 'file', reason: 'edit', config: portal([100, 100, 100, 100, 110]) }));
    expect((refused as ChangeRefusedError).findings).toEqual(findings);

    findings = [{ rule: 'EK102', severity: 'warning', message: 'no slow start' }];
    const held = await service.propose({ actor: actors.file, source: 'file', reason: 'edit', config: portal([100, 100, 100, 100, 110]) });
    expect(held).toMatchObject({ isFlagged: true, needsApproval: true, findings });
  });

  it('keeps a rollback asked for by automation waiting for a human, and only a human approver can release it', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    const change = await service.propose({ actor: actors.file, source: 'file', reason: 'edit', config: portal([100, 100, 100, 100, 110]) });
    await service.apply(change.id, actors.file);

    const rollback = await service.rollback(actors.script, { reason: 'skew alert', source: 'automation', toVersion: 1 });
    expect(rollback).toMatchObject({ status: 'proposed', needsApproval: true, rollbackOf: 1, source: 'automation' });
    expect((await caught(() => service.apply(rollback.id, actors.script))).code).toBe('EK_CHANGE_FORBIDDEN');
    expect((await caught(() => service.approve(rollback.id, actors.otherScript))).code).toBe('EK_CHANGE_APPROVER_ROLE');
    await service.approve(rollback.id, actors.bo);
    expect((await caught(() => service.approve(rollback.id, actors.cy))).code).toBe('EK_CHANGE_STATE');
    expect(await service.apply(rollback.id, actors.ana)).toMatchObject({ status: 'applied', appliedVersion: 3 });
    expect(harness.applied.map((call) => call.version)).toEqual([2, 3]);
    expect((await caught(() => service.rollback(actors.ana, { reason: 'again', source: 'cli', toVersion: 3 }))).code).toBe('EK_CHANGE_EMPTY');
    expect((await caught(() => service.rollback(actors.ana, { reason: 'again', source: 'cli', toVersion: 42 }))).code).toBe('EK_VERSION_NOT_FOUND');
    expect((await caught(() => service.rollback(actors.ana, { reason: '', source: 'cli' }))).code).toBe('EK_CHANGE_INVALID');
    expect(await verifyEvents(harness.store)).toMatchObject({ ok: true });
  });

  it('follows the configured roles: who proposes, who approves, and never the author even as admin', async () => {
    harness = await openChangeHarness(dialect, withPolicy({ propose_roles: ['operator', 'admin'], approve_roles: ['admin'] }));
    const { service } = harness;
    const config = withPolicy({ propose_roles: ['operator', 'admin'], approve_roles: ['admin'] }, [110, 100, 100, 100, 100]);
    expect((await caught(() => service.propose({ actor: actors.script, source: 'automation', reason: 'nudge', config }))).code).toBe('EK_CHANGE_FORBIDDEN');
    const change = await service.propose({ actor: actors.ana, source: 'cli', reason: 'nudge', config });
    expect((await caught(() => service.approve(change.id, actors.bo))).code).toBe('EK_CHANGE_APPROVER_ROLE');
    const admin = { name: 'root', role: 'admin' as const, tokenId: 'tok-root' };
    const own = await service.propose({ actor: admin, source: 'api', reason: 'mine', config: withPolicy({ propose_roles: ['operator', 'admin'], approve_roles: ['admin'] }, [100, 110, 100, 100, 100]) });
    expect(await caught(() => service.reject(own.id, admin))).toMatchObject({ code: 'EK_CHANGE_SELF_APPROVAL', message: `refused: you proposed change ${own.id}; a different approver must reject it` });
    expect((await service.approve(change.id, admin)).status).toBe('approved');
    const events = await listEvents(harness.store, { kind: 'change.approved' });
    expect(events.map((event) => event.actor)).toEqual(['root']);
  });
});
