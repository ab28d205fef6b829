import { setTimeout as delay } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { StoreError } from '../errors.js';

/**
 * Kysely dialect for better-sqlite3, written for several writers on one file.
 *
 * Kysely's own SqliteDriver opens transactions with a deferred `BEGIN` and relies on SQLite's busy
 * handler. Both hurt here:
 * - a deferred transaction that reads and then writes fails with SQLITE_BUSY_SNAPSHOT (no retry helps)
 *   when another process committed in between, which is exactly the append-to-the-chain pattern;
 *   `BEGIN IMMEDIATE` takes the write lock up front (https://sqlite.org/lang_transaction.html);
 * - better-sqlite3 is synchronous, so SQLite's busy handler sleeps on Node's event loop: a second
 *   Store in the same process would block the very transaction it waits for. We keep the busy
 *   timeout tiny and wait for the lock asynchronously instead, with jittered exponential backoff.
 */
export interface SqliteDialectOptions {
  /** How long a writer waits for the write lock before EK_STORE_BUSY. */
  readonly lockWaitMs: number;
}

/** SQLite's own busy wait: short enough that blocking the event loop for it is harmless. */
export const SQLITE_BUSY_TIMEOUT_MS = 10;

export function createSqliteDialect(database: BetterSqlite3.Database, options: SqliteDialectOptions): Dialect {
  return {
    createAdapter: (): DialectAdapter => new TransactionalDdlSqliteAdapter(),
    createDriver: (): Driver => new SqliteLockingDriver(database, options.lockWaitMs),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector => new SqliteIntrospector(db),
    createQueryCompiler: (): QueryCompiler => new SqliteQueryCompiler(),
  };
}

/** SQLite does run DDL inside transactions; saying so makes Kysely's Migrator atomic and serialized. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** Retries `attempt` while SQLite reports SQLITE_BUSY, waiting without blocking the event loop. */
async function retryWhileBusy<T>(attempt: () => T, lockWaitMs: number, what: string): Promise<T> {
  const deadline = Date.now() + lockWaitMs;
  let backoffMs = 1;
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (Date.now() >= deadline) {
        throw new StoreError(
          'EK_STORE_BUSY',
          `the SQLite store stayed locked by another writer for ${lockWaitMs} ms while trying to ${what}; retry, or look for a stuck evenkeel process on the same file`,
          { cause: error },
        );
      }
      await delay(backoffMs + Math.random() * backoffMs);
      backoffMs = Math.min(backoffMs * 2, 50);
    }
  }
}

class SqliteLockingDriver implements Driver {
  readonly #database: BetterSqlite3.Database;
  readonly #connection: SqliteLockingConnection;
  readonly #lockWaitMs: number;
  // One connection, one user at a time, as in Kysely's SqliteDriver.
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  constructor(database: BetterSqlite3.Database, lockWaitMs: number) {
    this.#database = database;
    this.#lockWaitMs = lockWaitMs;
    this.#connection = new SqliteLockingConnection(database, lockWaitMs);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.#held !== undefined) await this.#held;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }

  async beginTransaction(): Promise<void> {
    const begin = this.#database.prepare('BEGIN IMMEDIATE');
    await retryWhileBusy(() => begin.run(), this.#lockWaitMs, 'begin a transaction');
  }

  async commitTransaction(): Promise<void> {
    // A COMMIT that finds the database busy leaves the transaction open; retrying it is safe.
    const commit = this.#database.prepare('COMMIT');
    await retryWhileBusy(() => commit.run(), this.#lockWaitMs, 'commit');
  }

  async rollbackTransaction(): Promise<void> {
    if (this.#database.inTransaction) this.#database.prepare('ROLLBACK').run();
  }

  async destroy(): Promise<void> {
    if (this.#database.open) this.#database.close();
  }
}

class SqliteLockingConnection implements DatabaseConnection {
  readonly #database: BetterSqlite3.Database;
  readonly #lockWaitMs: number;

  constructor(database: BetterSqlite3.Database, lockWaitMs: number) {
    this.#database = database;
    this.#lockWaitMs = lockWaitMs;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#database.prepare(compiledQuery.sql);
    const parameters = compiledQuery.parameters as unknown[];
    const run = (): QueryResult<R> => {
      if (statement.reader) return { rows: statement.all(parameters) as R[] };
      const { changes, lastInsertRowid } = statement.run(parameters);
      return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
    };
    // Inside a transaction we already hold the write lock (BEGIN IMMEDIATE); a BUSY there is an
    // error for the caller. Outside one, a statement is its own transaction and may simply wait.
    if (this.#database.inTransaction) {
      try {
        return Promise.resolve(run());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return retryWhileBusy(run, this.#lockWaitMs, 'run a statement');
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.#database.prepare(compiledQuery.sql);
    for (const row of statement.iterate(compiledQuery.parameters as unknown[])) {
      yield { rows: [row as R] };
    }
  }
}
