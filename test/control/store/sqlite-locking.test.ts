import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEvent, openStore, parseStoreUrl, verifyEvents } from '../../../src/control/index.js';
import { createStoreFixture, type StoreFixture } from '../store-fixture.js';

describe('a SQLite store whose file another process holds locked', () => {
  let fixture: StoreFixture;
  let intruder: Database.Database;
  beforeEach(async () => {
    fixture = createStoreFixture('sqlite');
    await (await fixture.open()).close();
    const location = parseStoreUrl(fixture.url);
    if (location.dialect !== 'sqlite') throw new Error('expected sqlite');
    intruder = new Database(location.filename);
  });
  afterEach(async () => {
    if (intruder.open) intruder.close();
    await fixture.dispose();
  });

  it('waits for the write lock without freezing the event loop, then gives up with EK_STORE_BUSY', async () => {
    const store = await openStore(fixture.url, { lockWaitMs: 300 });
    intruder.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const ticker = setInterval(() => {
      ticks += 1;
    }, 10);
    try {
      await expect(appendEvent(store, { kind: 'change.applied', actor: 'ana', subject: 'change:1' })).rejects.toMatchObject({ code: 'EK_STORE_BUSY' });
    } finally {
      clearInterval(ticker);
    }
    // A synchronous busy wait would have blocked every timer for the whole 300 ms.
    expect(ticks).toBeGreaterThan(5);
    intruder.exec('ROLLBACK');
    await appendEvent(store, { kind: 'change.applied', actor: 'ana', subject: 'change:1' });
    expect(await verifyEvents(store)).toEqual({ ok: true, count: 1 });
    await store.close();
  });

  it('proceeds as soon as the other writer commits', async () => {
    const store = await openStore(fixture.url, { lockWaitMs: 5000 });
    intruder.exec('BEGIN IMMEDIATE');
    const appended = appendEvent(store, { kind: 'change.applied', actor: 'ana', subject: 'change:1' });
    // By the next macrotask the appender has tried BEGIN IMMEDIATE, found the lock taken and is backing off.
    await new Promise((resolve) => setImmediate(resolve));
    intruder.exec('COMMIT');
    expect((await appended).seq).toBe(1);
    await store.close();
  });
});
