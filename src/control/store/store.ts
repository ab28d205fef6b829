import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, type Transaction } from 'kysely';
import { StoreError } from '../errors.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrationProvider, type StoreDialect } from './migrations.js';
import { openPostgresPool } from './postgres-pool.js';
import { createSqliteDialect, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-dialect.js';
import { parseStoreUrl, type StoreLocation } from './store-url.js';
import type { StoreSchema } from './tables.js';

/**
 * What the control plane's functions take: the store itself or a transaction on it. Functions that
 * must be atomic call `session.transaction(...)`; inside a transaction that joins the outer one, so
 * `appendEvent` called within a larger change commits (or rolls back) with it.
 */
export interface StoreSession {
  readonly dialect: StoreDialect;
  /** The query builder; on a transaction session, bound to that transaction. */
  readonly db: Kysely<StoreSchema>;
  readonly isTransaction: boolean;
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws). */
  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T>;
}

export interface Store extends StoreSession {
  /** The URL with any password hidden, for logs and `evenkeel status`. */
  readonly displayUrl: string;
  /** Name of the last applied migration, e.g. `0001_initial`. */
  readonly schemaVersion: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Base for relative `sqlite://` paths; defaults to process.cwd(). */
  readonly cwd?: string;
  /** How long a SQLite writer waits for another writer's lock before EK_STORE_BUSY (default 5000). */
  readonly lockWaitMs?: number;
  /** PostgreSQL connect timeout (default 5000). */
  readonly connectTimeoutMs?: number;
  /** Errors that happen outside any call (an idle PostgreSQL connection dropping). Default: stderr. */
  readonly onBackgroundError?: (error: Error) => void;
}

/**
 * Opens the store named by `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://...`), creating
 * the SQLite file's directory if needed, and runs pending migrations before returning.
 * Throws StoreError: EK_STORE_URL_INVALID, EK_STORE_UNAVAILABLE, EK_STORE_MIGRATION_FAILED.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseStoreUrl(url, options.cwd);
  const db = location.dialect === 'sqlite' ? await openSqlite(location, options) : await openPostgres(location, options);
  let schemaVersion: string;
  try {
    schemaVersion = await migrate(db, location.dialect, location.displayUrl);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new OpenedStore(db, location.dialect, location.displayUrl, schemaVersion);
}

class Session implements StoreSession {
  readonly dialect: StoreDialect;
  readonly db: Kysely<StoreSchema>;
  readonly isTransaction: boolean;

  constructor(db: Kysely<StoreSchema>, dialect: StoreDialect, isTransaction: boolean) {
    this.db = db;
    this.dialect = dialect;
    this.isTransaction = isTransaction;
  }

  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T> {
    if (this.isTransaction) return fn(this);
    return this.db
      .transaction()
      .execute((trx: Transaction<StoreSchema>) => fn(new Session(trx, this.dialect, true)));
  }
}

class OpenedStore extends Session implements Store {
  readonly displayUrl: string;
  readonly schemaVersion: string;
  #isClosed = false;

  constructor(db: Kysely<StoreSchema>, dialect: StoreDialect, displayUrl: string, schemaVersion: string) {
    super(db, dialect, false);
    this.displayUrl = displayUrl;
    this.schemaVersion = schemaVersion;
  }

  override transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T> {
    if (this.#isClosed) {
      return Promise.reject(new StoreError('EK_STORE_CLOSED', `the store ${this.displayUrl} was closed; open it again`));
    }
    return super.transaction(fn);
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    await this.db.destroy();
  }
}

async function openSqlite(location: Extract<StoreLocation, { dialect: 'sqlite' }>, options: OpenStoreOptions): Promise<Kysely<StoreSchema>> {
  const lockWaitMs = options.lockWaitMs ?? 5000;
  let database: Database.Database;
  try {
    if (!location.isMemory) {
      // The store holds configs (which can carry secrets such as proxy.cookie_secret) and token hashes:
      // create it readable by its owner only. SQLite gives the -wal and -shm files the same mode.
      fs.mkdirSync(path.dirname(location.filename), { recursive: true, mode: 0o700 });
      fs.closeSync(fs.openSync(location.filename, 'a', 0o600));
    }
    database = new Database(location.filename, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StoreError(
      'EK_STORE_UNAVAILABLE',
      `cannot open the SQLite store ${location.displayUrl}: ${(error as Error).message}. Check that the directory is writable`,
      { cause: error },
    );
  }
  try {
    // Switching to WAL needs a brief exclusive lock; another process opening the file at the same
    // moment makes it BUSY, so retry without blocking the event loop.
    const deadline = Date.now() + lockWaitMs;
    for (;;) {
      try {
        database.pragma('journal_mode = WAL');
        break;
      } catch (error) {
        if (!String((error as { code?: unknown }).code).startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error;
        await delay(5 + Math.random() * 20);
      }
    }
    // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but may lose the last commits on
    // power loss or an OS crash. "A change is acknowledged only after it is committed" means after
    // it is on disk; control-plane writes are rare, so one fsync per commit costs nothing that matters.
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
  } catch (error) {
    database.close();
    throw new StoreError(
      'EK_STORE_UNAVAILABLE',
      `cannot prepare the SQLite store ${location.displayUrl}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return new Kysely<StoreSchema>({ dialect: createSqliteDialect(database, { lockWaitMs }) });
}

async function openPostgres(location: Extract<StoreLocation, { dialect: 'postgres' }>, options: OpenStoreOptions): Promise<Kysely<StoreSchema>> {
  const pool = await openPostgresPool({
    connectionString: location.connectionString,
    schema: location.schema,
    displayUrl: location.displayUrl,
    connectTimeoutMs: options.connectTimeoutMs ?? 5000,
    onBackgroundError:
      options.onBackgroundError ??
      ((error) => process.stderr.write(`evenkeel: PostgreSQL store ${location.displayUrl}: ${error.message}\n`)),
  });
  return new Kysely<StoreSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** Brings the schema to the latest version; returns that version's name. */
async function migrate(db: Kysely<StoreSchema>, dialect: StoreDialect, displayUrl: string): Promise<string> {
  // Kysely looks for its tables in every schema unless told which: on a database where another
  // schema (another fleet, a test run) already has them, a fresh schema would skip creating its own.
  const migrationTableSchema = dialect === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error } = await migrator.migrateToLatest();
  if (error !== undefined) {
    throw new StoreError(
      'EK_STORE_MIGRATION_FAILED',
      `cannot bring the store ${displayUrl} to the current schema: ${(error as Error).message}. A store written by a newer evenkeel needs that version`,
      { cause: error },
    );
  }
  const applied = await migrator.getMigrations();
  const last = applied.filter((migration) => migration.executedAt !== undefined).at(-1);
  return last?.name ?? 'none';
}
