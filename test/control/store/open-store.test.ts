import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, StoreError } from '../../../src/control/index.js';
import { createStoreFixture, DIALECTS, type StoreFixture } from '../store-fixture.js';

describe.each(DIALECTS)('the %s store', (dialect) => {
  let fixture: StoreFixture;
  beforeEach(() => {
    fixture = createStoreFixture(dialect);
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  it('runs its migrations once: opening the same database twice keeps the schema and the data', async () => {
    const first = await fixture.open();
    expect(first.schemaVersion).toBe('0005_fleet_monitor');
    await first.db.insertInto('nodes').values({ id: 'n1', hostname: 'h', started_at: 1, last_seen_at: 2, config_version: null, admin_url: null }).execute();
    await first.close();

    const second = await fixture.open();
    expect(second.schemaVersion).toBe('0005_fleet_monitor');
    expect(await second.db.selectFrom('nodes').selectAll().execute()).toEqual([
      { id: 'n1', hostname: 'h', started_at: 1, last_seen_at: 2, config_version: null, admin_url: null, monitor_lock_pid: null },
    ]);
    const applied = await second.db
      .selectFrom('evenkeel_schema_version' as 'nodes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(applied.n)).toBe(5);
  });

  it('opens concurrently from two instances without failing the migration', async () => {
    const [a, b] = await Promise.all([fixture.open(), fixture.open()]);
    expect([a.schemaVersion, b.schemaVersion]).toEqual(['0005_fleet_monitor', '0005_fleet_monitor']);
  });

  it('returns epoch-millisecond timestamps and generated ids as numbers', async () => {
    const store = await fixture.open();
    const at = Date.UTC(2026, 10, 28, 12, 0, 0);
    await store.db
      .insertInto('config_versions')
      .values({ version: 1, created_at: at, author: 'ana', source: 'cli', reason: 'first', config_json: '{}', config_yaml: 'pools: {}\n', parent_version: null })
      .execute();
    const change = await store.db
      .insertInto('change_requests')
      .values({ status: 'proposed', author: 'ana', source: 'api', reason: 'more weight', base_version: 1, proposed_config_json: '{}', proposed_config_yaml: null, diff_json: null, simulation_json: null, flagged: 1, created_at: at, updated_at: at, applied_version: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(change.id).toBe(1);
    const row = await store.db.selectFrom('change_requests').selectAll().where('id', '=', change.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ created_at: at, base_version: 1, flagged: 1, status: 'proposed' });
    expect(typeof row.created_at).toBe('number');
  });

  it('refuses a change request status outside the lifecycle', async () => {
    const store = await fixture.open();
    await expect(
      store.db
        .insertInto('change_requests')
        .values({ status: 'merged' as 'applied', author: 'a', source: 'api', reason: 'r', base_version: null, proposed_config_json: '{}', proposed_config_yaml: null, diff_json: null, simulation_json: null, flagged: 0, created_at: 1, updated_at: 1, applied_version: null })
        .execute(),
    ).rejects.toThrow();
  });

  it('commits a transaction only when its function resolves', async () => {
    const store = await fixture.open();
    await expect(
      store.transaction(async (tx) => {
        await tx.db.insertInto('nodes').values({ id: 'lost', hostname: 'h', started_at: 1, last_seen_at: 1, config_version: null }).execute();
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await store.transaction(async (tx) => {
      await tx.db.insertInto('nodes').values({ id: 'kept', hostname: 'h', started_at: 1, last_seen_at: 1, config_version: null }).execute();
      // A nested call joins the outer transaction instead of opening a second one.
      await tx.transaction(async (inner) => {
        expect(inner).toBe(tx);
      });
    });
    const ids = (await store.db.selectFrom('nodes').select('id').execute()).map((row) => row.id);
    expect(ids).toEqual(['kept']);
  });

  it('refuses work after close with EK_STORE_CLOSED', async () => {
    const store = await fixture.open();
    await store.close();
    await expect(store.transaction(async () => 1)).rejects.toMatchObject({ code: 'EK_STORE_CLOSED' });
  });
});

describe('opening a store', () => {
  it('creates the directory of a relative sqlite path under the working directory', async () => {
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ek-cwd-'));
    try {
      const store = await openStore('sqlite://./data/nested/evenkeel.db', { cwd });
      const file = path.join(cwd, 'data/nested/evenkeel.db');
      expect(fs.existsSync(file)).toBe(true);
      // Configs and token hashes are for the owner's eyes only.
      expect(fs.statSync(file).mode & 0o077).toBe(0);
      const mode = await store.db.selectNoFrom((eb) => eb.val(1).as('one')).executeTakeFirst();
      expect(mode).toEqual({ one: 1 });
      await store.close();
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('puts a sqlite file in WAL mode with full fsync on commit', async () => {
    const fixture = createStoreFixture('sqlite');
    try {
      const store = await fixture.open();
      const { sql } = await import('kysely');
      const journal = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      const synchronous = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
      expect(journal.rows[0]?.journal_mode).toBe('wal');
      expect(synchronous.rows[0]?.synchronous).toBe(2);
    } finally {
      await fixture.dispose();
    }
  });

  it('reports an unreachable PostgreSQL server as EK_STORE_UNAVAILABLE without its password', async () => {
    // A port that was just free: nothing listens there.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await openStore(`postgres://ek:hunter2@127.0.0.1:${port}/test`, { connectTimeoutMs: 2000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('EK_STORE_UNAVAILABLE');
    expect((error as StoreError).message).not.toContain('hunter2');
    expect((error as StoreError).message).toContain(`127.0.0.1:${port}`);
  });
});
