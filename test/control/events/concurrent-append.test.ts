import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEvent, listEvents, verifyEvents } from '../../../src/control/index.js';
import { createStoreFixture, DIALECTS, type StoreFixture } from '../store-fixture.js';

const PER_WRITER = 40;

describe.each(DIALECTS)('concurrent appenders on one %s database', (dialect) => {
  let fixture: StoreFixture;
  beforeEach(() => {
    fixture = createStoreFixture(dialect);
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  it('keep one unbroken chain when two store instances append at the same time', async () => {
    const [nodeA, nodeB] = await Promise.all([fixture.open(), fixture.open()]);
    const appendMany = async (store: typeof nodeA, actor: string) => {
      const seqs: number[] = [];
      for (let i = 0; i < PER_WRITER; i += 1) {
        // Several in flight per instance too, as an admin API under load would have.
        const batch = await Promise.all([0, 1].map((k) => appendEvent(store, { kind: 'health.transition', actor, subject: `backend:${i}-${k}` })));
        seqs.push(...batch.map((event) => event.seq));
      }
      return seqs;
    };
    const [seqsA, seqsB] = await Promise.all([appendMany(nodeA, 'node:a'), appendMany(nodeB, 'node:b')]);

    const total = PER_WRITER * 2 * 2;
    expect(new Set([...seqsA, ...seqsB]).size).toBe(total);
    expect(await verifyEvents(nodeA)).toEqual({ ok: true, count: total });
    const events = await listEvents(nodeB, { limit: total });
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Both writers really interleaved: neither got the whole chain to itself.
    const actorChanges = events.filter((event, i) => i > 0 && event.actor !== events[i - 1]!.actor).length;
    expect(actorChanges).toBeGreaterThan(0);
  });
});
