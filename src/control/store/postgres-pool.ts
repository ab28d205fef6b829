import type pg from 'pg';
import { StoreError } from '../errors.js';
import { loadPg } from './pg-module.js';

const INT8_OID = 20;

/**
 * pg returns BIGINT as a string because it may exceed 2^53. Ours are epoch milliseconds, seqs and
 * counters, far below that, and SQLite returns them as numbers: parse them as numbers so both
 * dialects hand back the same row shapes. Per pool, not pg's global parser table, so nothing else
 * in the process changes.
 */
function storeTypes(types: typeof pg.types): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: string) => {
      if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
      return types.getTypeParser(oid, format as 'text');
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export interface PostgresPoolOptions {
  readonly connectionString: string;
  readonly schema: string | undefined;
  readonly displayUrl: string;
  readonly connectTimeoutMs: number;
  readonly onBackgroundError: (error: Error) => void;
}

/**
 * Opens a pg pool, proves the server answers, and creates the schema when the URL names one.
 * Throws StoreError EK_STORE_UNAVAILABLE (with the redacted URL) when it cannot connect.
 */
export async function openPostgresPool(options: PostgresPoolOptions): Promise<pg.Pool> {
  const pg = await loadPg();
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs,
    max: 10,
    types: storeTypes(pg.types),
    // Unqualified table names then resolve in our schema, for queries and for Kysely's Migrator alike.
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle client losing its connection emits on the pool; unhandled, that would kill the process.
  pool.on('error', options.onBackgroundError);
  try {
    await pool.query('select 1');
    if (options.schema !== undefined) await createSchema(pool, options.schema);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StoreError(
      'EK_STORE_UNAVAILABLE',
      `cannot reach the PostgreSQL store at ${options.displayUrl}: ${(error as Error).message}. Check that the server runs and the URL, user and database are right`,
      { cause: error },
    );
  }
  return pool;
}

async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  const pg = await loadPg();
  try {
    await pool.query(`create schema if not exists ${pg.escapeIdentifier(schema)}`);
  } catch (error) {
    // Two nodes creating the same schema at once: `if not exists` can still raise a unique violation.
    const exists = await pool.query('select 1 from pg_namespace where nspname = $1', [schema]);
    if (exists.rowCount === 0) throw error;
  }
}
