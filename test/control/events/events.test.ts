import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendEvent, canonicalJson, EventLogError, GENESIS_HASH, listEvents, verifyEvents, type Store } from '../../../src/control/index.js';
import { DIALECTS, type StoreFixture, openStoreForEachTest } from '../store-fixture.js';

async function appendSome(store: Store, count: number): Promise<void> {
  for (let i = 1; i <= count; i += 1) {
    await appendEvent(store, { kind: 'change.applied', actor: i % 2 === 0 ? 'ana' : 'automation-ci', subject: `change:${i}`, data: { version: i, weights: { b: 2, a: 1 } } });
  }
}

describe.each(DIALECTS)('the audit log on %s', (dialect) => {
  let fixture: StoreFixture;
  let store: Store;
  openStoreForEachTest(dialect, (opened, openedStore) => {
    fixture = opened;
    store = openedStore;
  });

  it('verifies an empty log', async () => {
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 0 });
  });

  it('chains each appended event to the one before it and verifies the whole log', async () => {
    const first = await appendEvent(store, { kind: 'token.created', actor: 'system', subject: 'token:bootstrap-admin', data: { role: 'admin' } });
    const second = await appendEvent(store, { kind: 'change.proposed', actor: 'ana', subject: 'change:1' });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, data: { role: 'admin' } });
    expect(second).toMatchObject({ seq: 2, prevHash: first.hash, data: null });
    expect(second.hash).toMatch(/^[0-9a-f]{64}$/);
    await appendSome(store, 10);
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 12 });
  });

  it('lists events oldest first, filtered by kind, actor, subject, time and seq', async () => {
    const before = Date.now();
    await appendSome(store, 6);
    await appendEvent(store, { kind: 'token.revoked', actor: 'ana', subject: 'token:old' });
    expect((await listEvents(store)).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await listEvents(store, { kind: 'token.revoked' })).map((event) => event.subject)).toEqual(['token:old']);
    expect((await listEvents(store, { actor: 'ana' })).map((event) => event.seq)).toEqual([2, 4, 6, 7]);
    expect((await listEvents(store, { subject: 'change:3' }))[0]?.data).toEqual({ version: 3, weights: { a: 1, b: 2 } });
    expect(await listEvents(store, { since: before, until: Date.now() + 1, limit: 2 })).toHaveLength(2);
    expect(await listEvents(store, { until: before - 60_000 })).toEqual([]);
    expect((await listEvents(store, { afterSeq: 5 })).map((event) => event.seq)).toEqual([6, 7]);
  });

  it('refuses an event without an actor or with a malformed kind', async () => {
    await expect(appendEvent(store, { kind: 'change.applied', actor: '', subject: 'x' })).rejects.toMatchObject({ code: 'EK_EVENT_INVALID' });
    await expect(appendEvent(store, { kind: 'Change Applied', actor: 'ana', subject: 'x' })).rejects.toBeInstanceOf(EventLogError);
    await expect(appendEvent(store, { kind: 'x', actor: 'ana', subject: 'x', data: { n: Number.NaN } })).rejects.toMatchObject({ code: 'EK_EVENT_INVALID' });
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 0 });
  });

  it('rolls an event back with the transaction it was appended in', async () => {
    await appendSome(store, 2);
    await expect(
      store.transaction(async (tx) => {
        await appendEvent(tx, { kind: 'change.applied', actor: 'ana', subject: 'change:9' });
        throw new Error('apply failed');
      }),
    ).rejects.toThrow('apply failed');
    await appendEvent(store, { kind: 'change.failed', actor: 'ana', subject: 'change:9' });
    expect((await listEvents(store)).map((event) => event.kind)).toEqual(['change.applied', 'change.applied', 'change.failed']);
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 3 });
  });

  it('names an event edited directly in the database', async () => {
    await appendSome(store, 8);
    await fixture.rawExec(`update events set actor = 'mallory' where seq = 5`);
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 5, reason: 'edited' });
  });

  it('names an event whose data was edited directly in the database', async () => {
    await appendSome(store, 4);
    await fixture.rawExec(`update events set data_json = '{"version":99}' where seq = 2`);
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'edited' });
  });

  it('names the rewritten event when an editor also recomputed its hash', async () => {
    await appendSome(store, 6);
    // The intruder fixes up row 3's own hash, but row 4 still chains to the original.
    const [original] = await listEvents(store, { afterSeq: 2, limit: 1 });
    const { hashEvent } = await import('../../../src/control/index.js');
    const forged = hashEvent(original!.prevHash, { seq: 3, at: original!.at, kind: original!.kind, actor: 'mallory', subject: original!.subject, dataJson: canonicalJson(original!.data) });
    await fixture.rawExec(`update events set actor = 'mallory', hash = '${forged}' where seq = 3`);
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 3, reason: 'edited' });
  });

  it('names the first missing event when a row is deleted from the middle', async () => {
    await appendSome(store, 8);
    await fixture.rawExec('delete from events where seq in (4, 6)');
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'deleted' });
  });

  it('notices the first event deleted', async () => {
    await appendSome(store, 3);
    await fixture.rawExec('delete from events where seq = 1');
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 1, reason: 'deleted' });
  });

  it('notices the newest events deleted, which leave no gap behind them', async () => {
    await appendSome(store, 5);
    await fixture.rawExec('delete from events where seq >= 4');
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'deleted' });
  });

  it('names events whose rows were swapped', async () => {
    await appendSome(store, 6);
    // Swap the content (and hashes) of rows 2 and 5, keeping the seq column in place.
    await fixture.rawExec(`
      update events set seq = -2 where seq = 2;
      update events set seq = 2 where seq = 5;
      update events set seq = 5 where seq = -2;
    `);
    expect(await verifyEvents(store)).toMatchObject({ ok: false, firstBadSeq: 2, reason: 'reordered' });
  });
});

describe('canonical JSON', () => {
  it('writes the same text for objects whose keys were inserted in any order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
      { numRuns: 200 },
    );
  });

  it('reads back as the value it was made from', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });

  it('sorts keys and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [undefined, 'x'], c: undefined })).toBe('{"a":[null,"x"],"b":1}');
  });
});
