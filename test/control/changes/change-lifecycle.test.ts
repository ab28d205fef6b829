import { afterEach, describe, expect, it } from 'vitest';
import {
  ChangeRefusedError,
  getConfigVersion,
  latestConfigVersion,
  listEvents,
  verifyEvents,
} from '../../../src/control/index.js';
import { DIALECTS } from '../store-fixture.js';
import { actors, caught, openChangeHarness, portal, type ChangeHarness } from './change-fixture.js';

describe.each(DIALECTS)('change lifecycle in the %s store', (dialect) => {
  let harness: ChangeHarness;
  afterEach(async () => {
    await harness.dispose();
  });

  it("holds the postmortem's script change for a human, refuses its author and other scripts, and keeps the live config when an approver rejects it", async () => {
    harness = await openChangeHarness(dialect);
    const { service, store } = harness;
    // The incident's script: two of five servers from 100 to 400, straight "into the load balancer".
    const change = await service.propose({ actor: actors.script, source: 'api', reason: 'rebalance after deploy', config: portal([400, 400, 100, 100, 100]) });

    expect(change).toMatchObject({ status: 'proposed', source: 'automation', author: 'weights.sh', authorRole: 'automation', baseVersion: 1, isFlagged: true, needsApproval: true });
    expect(change.findings.filter((finding) => finding.severity === 'error')).toEqual([]);
    expect(change.simulation?.flags.some((flag) => flag.startsWith('web-1 predicted'))).toBe(true);
    expect(change.diff).toEqual(['pools.portal: web-1 weight 100 -> 400', 'pools.portal: web-2 weight 100 -> 400']);

    const self = await caught(() => service.approve(change.id, actors.script));
    expect(self).toMatchObject({ code: 'EK_CHANGE_SELF_APPROVAL', message: `refused: you proposed change ${change.id}; a different approver must approve it` });
    const otherScript = await caught(() => service.approve(change.id, actors.otherScript));
    expect(otherScript.code).toBe('EK_CHANGE_APPROVER_ROLE');
    const early = await caught(() => service.apply(change.id, actors.ana));
    expect(early.code).toBe('EK_CHANGE_STATE');

    const rejected = await service.reject(change.id, actors.bo, 'this is the 2024-05-01 incident again');
    expect(rejected.status).toBe('rejected');
    expect(rejected.approvals).toEqual([expect.objectContaining({ approver: 'bo', decision: 'reject', comment: 'this is the 2024-05-01 incident again' })]);
    expect((await caught(() => service.apply(change.id, actors.bo))).code).toBe('EK_CHANGE_STATE');

    expect(harness.applied).toEqual([]);
    expect(service.liveVersion()).toBe(1);
    expect((await latestConfigVersion(store))?.version).toBe(1);
    const events = await listEvents(store, { subject: `change:${change.id}` });
    expect(events.map((event) => [event.kind, event.actor])).toEqual([
      ['change.proposed', 'weights.sh'],
      ['change.rejected', 'bo'],
    ]);
    expect(events[0].data).toMatchObject({ changeId: change.id, diff: change.diff, needsApproval: true, isFlagged: true });
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 3 });
  });

  it('refuses an extreme weight change outright and still records it, with its findings, in the audit log', async () => {
    harness = await openChangeHarness(dialect);
    const { service, store } = harness;
    const refusal = await caught(() => service.propose({ actor: actors.ana, source: 'cli', reason: 'all in on web-1', config: portal([5000, 100, 100, 100, 100]) }));

    expect(refusal).toBeInstanceOf(ChangeRefusedError);
    const refused = refusal as ChangeRefusedError;
    expect(refused.code).toBe('EK_CHANGE_REFUSED');
    expect(refused.statusCode).toBe(422);
    expect(refused.findings).toEqual([expect.objectContaining({ rule: 'guardrail.max_weight_factor', severity: 'error' })]);
    expect(refused.message).toContain('web-1 weight 100 -> 5000');

    const stored = await service.get(refused.changeId);
    expect(stored).toMatchObject({ status: 'rejected', author: 'ana', findings: refused.findings });
    expect(stored.approvals).toEqual([expect.objectContaining({ approver: 'guardrail', decision: 'reject' })]);
    const events = await listEvents(store, { subject: `change:${refused.changeId}` });
    expect(events.map((event) => [event.kind, event.actor])).toEqual([
      ['change.proposed', 'ana'],
      ['change.rejected', 'guardrail'],
    ]);
    expect(events[1].data).toMatchObject({ findings: refused.findings });
    expect((await caught(() => service.approve(refused.changeId, actors.bo))).code).toBe('EK_CHANGE_STATE');
    expect(harness.applied).toEqual([]);
    expect(await verifyEvents(store)).toMatchObject({ ok: true });
  });

  it("applies an operator's change once another person approves it, then rolls it back as a change of its own", async () => {
    harness = await openChangeHarness(dialect);
    const { service, store } = harness;
    const change = await service.propose({ actor: actors.ana, source: 'cli', reason: 'web-3 has the new CPUs', config: portal([100, 100, 150, 100, 100]) });
    expect(change).toMatchObject({ status: 'proposed', isFlagged: false, needsApproval: true });
    expect((await caught(() => service.approve(change.id, actors.ana))).code).toBe('EK_CHANGE_SELF_APPROVAL');
    expect((await caught(() => service.approve(change.id, { name: 'dee', role: 'operator', tokenId: 'tok-dee' }))).code).toBe('EK_CHANGE_APPROVER_ROLE');

    const approved = await service.approve(change.id, actors.bo, 'looks right');
    expect(approved.status).toBe('approved');
    const applied = await service.apply(change.id, actors.ana);
    expect(applied).toMatchObject({ status: 'applied', appliedVersion: 2 });
    expect(harness.applied.map((call) => call.version)).toEqual([2]);
    expect(harness.applied[0].config.pools.portal.backends[2].weight).toBe(150);
    expect(service.liveVersion()).toBe(2);
    expect(service.liveConfig().pools.portal.backends[2].weight).toBe(150);
    expect(await getConfigVersion(store, 2)).toMatchObject({ author: 'ana', source: 'cli', parentVersion: 1 });

    // An operator may roll back at once: the way back never waits for a second person.
    const rollback = await service.rollback(actors.ana, { reason: 'web-3 runs hot', source: 'cli' });
    expect(rollback).toMatchObject({ status: 'applied', rollbackOf: 1, appliedVersion: 3, baseVersion: 2, needsApproval: false });
    expect(harness.applied.map((call) => call.version)).toEqual([2, 3]);
    expect(harness.applied[1].config.pools.portal.backends[2].weight).toBe(100);
    expect((await service.get(change.id)).status).toBe('rolled_back');
    expect((await latestConfigVersion(store))?.config).toEqual((await getConfigVersion(store, 1))?.config);

    const kinds = (await listEvents(store)).map((event) => `${event.kind} ${event.subject}`);
    expect(kinds).toEqual([
      'config.initial version:1',
      `change.proposed change:${change.id}`,
      `change.approved change:${change.id}`,
      `change.applied change:${change.id}`,
      `change.proposed change:${rollback.id}`,
      `change.applied change:${rollback.id}`,
      `change.rolled_back change:${change.id}`,
    ]);
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 7 });
    expect((await service.list()).map((listed) => listed.id)).toEqual([rollback.id, change.id]);
    expect((await service.list({ status: 'rolled_back' })).map((listed) => listed.id)).toEqual([change.id]);
  });

  it('applies the first of two changes approved from the same base and refuses the second instead of overwriting it', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    const first = await service.propose({ actor: actors.ana, source: 'api', reason: 'web-1 up', config: portal([150, 100, 100, 100, 100]) });
    const second = await service.propose({ actor: actors.ana, source: 'api', reason: 'web-2 up', config: portal([100, 150, 100, 100, 100]) });
    await service.approve(first.id, actors.bo);
    await service.approve(second.id, actors.cy);

    await service.apply(first.id, actors.ana);
    const stale = await caught(() => service.apply(second.id, actors.ana));
    expect(stale).toMatchObject({ code: 'EK_CHANGE_STALE_BASE', statusCode: 409, changeId: second.id });
    expect(stale.message).toContain('re-propose against version 2');

    expect(harness.applied.map((call) => call.version)).toEqual([2]);
    expect(service.liveConfig().pools.portal.backends.map((backend) => backend.weight)).toEqual([150, 100, 100, 100, 100]);
    expect((await service.get(second.id)).status).toBe('approved');
    // Proposing against a version that is no longer live is refused before anything is recorded.
    const late = await caught(() => service.propose({ actor: actors.ana, source: 'api', reason: 'web-2 up again', baseVersion: 1, config: portal([150, 150, 100, 100, 100]) }));
    expect(late.code).toBe('EK_CHANGE_STALE_BASE');
    expect((await service.list()).length).toBe(2);
    expect(await verifyEvents(harness.store)).toMatchObject({ ok: true });
  });

  it('lets exactly one of two nodes apply when both apply changes from the same base at the same moment', async () => {
    harness = await openChangeHarness(dialect);
    const other = await harness.reopen();
    const first = await harness.service.propose({ actor: actors.file, source: 'file', reason: 'node a', config: portal([110, 100, 100, 100, 100]) });
    const second = await other.propose({ actor: actors.file, source: 'file', reason: 'node b', config: portal([100, 110, 100, 100, 100]) });
    const outcomes = await Promise.allSettled([harness.service.apply(first.id, actors.file), other.apply(second.id, actors.file)]);
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const loser = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect((loser.reason as { code: string }).code).toBe('EK_CHANGE_STALE_BASE');
    expect((await latestConfigVersion(harness.store))?.version).toBe(2);
    expect((await harness.service.list({ status: 'applied' })).length).toBe(1);
  });

  it('answers EK_CHANGE_NOT_FOUND for a change id that does not exist, on every method', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    for (const attempt of [
      () => service.get(999),
      () => service.approve(999, actors.bo),
      () => service.reject(999, actors.bo),
      () => service.apply(999, actors.ana),
      () => service.get(-1),
    ]) {
      const error = await caught(attempt);
      expect(error).toMatchObject({ code: 'EK_CHANGE_NOT_FOUND', statusCode: 404 });
    }
    expect(await listEvents(harness.store)).toHaveLength(1);
  });

  it('records nothing for a change without a reason, an unchanged config or a source that is not theirs', async () => {
    harness = await openChangeHarness(dialect);
    const { service } = harness;
    expect((await caught(() => service.propose({ actor: actors.ana, source: 'cli', reason: '  ', config: portal([150, 100, 100, 100, 100]) }))).code).toBe('EK_CHANGE_INVALID');
    expect((await caught(() => service.propose({ actor: actors.ana, source: 'cli', reason: 'nothing', config: portal() }))).code).toBe('EK_CHANGE_EMPTY');
    expect((await caught(() => service.propose({ actor: actors.ana, source: 'file', reason: 'pretend', config: portal([150, 100, 100, 100, 100]) }))).code).toBe('EK_CHANGE_INVALID');
    expect((await caught(() => service.propose({ actor: actors.viewer, source: 'api', reason: 'peek', config: portal([150, 100, 100, 100, 100]) }))).code).toBe('EK_CHANGE_FORBIDDEN');
    expect(await service.list()).toEqual([]);
    expect(await listEvents(harness.store)).toHaveLength(1);
  });

  it("serves the store's latest version after a restart, and the next change builds on it", async () => {
    harness = await openChangeHarness(dialect);
    const change = await harness.service.propose({ actor: actors.file, source: 'file', reason: 'file edited', config: portal([100, 100, 100, 100, 120]) });
    expect(change.needsApproval).toBe(false);
    await harness.service.apply(change.id, actors.file);

    // A second instance on the same database (a restarted node; its initialConfig is ignored).
    const restarted = await harness.reopen();
    expect(restarted.liveVersion()).toBe(2);
    expect(restarted.liveConfig().pools.portal.backends[4].weight).toBe(120);
    const next = await restarted.propose({ actor: actors.file, source: 'file', reason: 'file edited again', config: portal([100, 100, 100, 100, 130]) });
    expect(next.baseVersion).toBe(2);
  });

  it('marks a change failed and records the config that stays live when the node refuses to apply it', async () => {
    harness = await openChangeHarness(dialect, portal(), {
      applyLive: () => {
        throw new Error('cannot build pool portal');
      },
    });
    const { service, store } = harness;
    const change = await service.propose({ actor: actors.file, source: 'file', reason: 'file edited', config: portal([100, 100, 100, 100, 120]) });
    const failure = await caught(() => service.apply(change.id, actors.file));
    expect(failure).toMatchObject({ code: 'EK_CHANGE_APPLY_FAILED', changeId: change.id });
    expect((await service.get(change.id)).status).toBe('failed');
    const latest = await latestConfigVersion(store);
    expect(latest).toMatchObject({ version: 3, parentVersion: 2 });
    expect(latest?.config).toEqual((await getConfigVersion(store, 1))?.config);
    expect(service.liveVersion()).toBe(3);
    expect((await listEvents(store, { kind: 'change.failed' })).map((event) => event.subject)).toEqual([`change:${change.id}`]);
  });
});
