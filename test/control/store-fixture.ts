import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../src/control/index.js';

/**
 * Every store test runs against both dialects. PostgreSQL is the development server at
 * 127.0.0.1:5432 (trust auth, database `test`; override with EVENKEEL_TEST_POSTGRES_URL); each
 * fixture gets its own schema, dropped afterwards, so test files can run in parallel.
 */
export const POSTGRES_URL = process.env.EVENKEEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type DialectName = 'sqlite' | 'postgres';
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

export interface StoreFixture {
  readonly dialect: DialectName;
  /** One database shared by every `open()` of this fixture. */
  readonly url: string;
  open(): Promise<Store>;
  /** Runs SQL straight on the database, bypassing evenkeel, as an intruder with a SQL shell would. */
  rawExec(sqlText: string): Promise<void>;
  dispose(): Promise<void>;
}

export function createStoreFixture(dialect: DialectName): StoreFixture {
  const opened: Store[] = [];
  const suffix = randomBytes(6).toString('hex');
  let url: string;
  let rawExec: (sqlText: string) => Promise<void>;
  let cleanup: () => Promise<void>;
  if (dialect === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ek-store-'));
    const file = path.join(dir, 'evenkeel.db');
    url = `sqlite://${file}`;
    rawExec = async (sqlText) => {
      const raw = new Database(file);
      try {
        raw.exec(sqlText);
      } finally {
        raw.close();
      }
    };
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `ek_test_${suffix}`;
    url = `${POSTGRES_URL}?schema=${schema}`;
    const withClient = async (fn: (client: pg.Client) => Promise<unknown>) => {
      const client = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        await fn(client);
      } finally {
        await client.end();
      }
    };
    rawExec = (sqlText) => withClient((client) => client.query(sqlText));
    cleanup = () => withClient((client) => client.query(`drop schema if exists ${schema} cascade`));
  }
  return {
    dialect,
    url,
    async open() {
      const store = await openStore(url);
      opened.push(store);
      return store;
    },
    rawExec: (sqlText) => rawExec(sqlText),
    async dispose() {
      await Promise.all(opened.map((store) => store.close()));
      await cleanup();
    },
  };
}

/**
 * Opens a fresh store of `dialect` before each test of the enclosing describe and disposes of it
 * after; `onOpened` receives the fixture and the store for the test to use.
 */
export function openStoreForEachTest(dialect: DialectName, onOpened: (fixture: StoreFixture, store: Store) => void): void {
  let fixture: StoreFixture | undefined;
  beforeEach(async () => {
    fixture = createStoreFixture(dialect);
    onOpened(fixture, await fixture.open());
  });
  afterEach(async () => {
    await fixture?.dispose();
  });
}
