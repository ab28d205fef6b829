import path from 'node:path';
import { StoreError } from '../errors.js';

/** Where a store lives, parsed from `store.url`. */
export type StoreLocation =
  | { readonly dialect: 'sqlite'; readonly filename: string; readonly isMemory: boolean; readonly displayUrl: string }
  | {
      readonly dialect: 'postgres';
      readonly connectionString: string;
      /** Schema to create (if missing) and put first on the search_path; undefined keeps the server's default. */
      readonly schema: string | undefined;
      readonly displayUrl: string;
    };

const SQLITE_PREFIX = 'sqlite://';
const SQLITE_MEMORY = new Set(['sqlite::memory:', 'sqlite://:memory:']);
// A PostgreSQL identifier we can splice into `CREATE SCHEMA` and `search_path` without quoting games.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Parses a store URL: `sqlite://PATH` (relative to `cwd`), `sqlite::memory:`, or
 * `postgres://user@host:port/db[?schema=NAME]` (also `postgresql://`).
 * Throws StoreError EK_STORE_URL_INVALID naming the URL and the accepted forms.
 */
export function parseStoreUrl(url: string, cwd: string = process.cwd()): StoreLocation {
  const trimmed = url.trim();
  if (SQLITE_MEMORY.has(trimmed)) {
    return { dialect: 'sqlite', filename: ':memory:', isMemory: true, displayUrl: 'sqlite::memory:' };
  }
  if (trimmed.startsWith(SQLITE_PREFIX)) {
    const rawPath = trimmed.slice(SQLITE_PREFIX.length);
    if (rawPath.length === 0 || rawPath.includes('?')) {
      throw invalid(url, 'a SQLite URL needs a file path and takes no query string');
    }
    const filename = path.resolve(cwd, rawPath);
    return { dialect: 'sqlite', filename, isMemory: false, displayUrl: `${SQLITE_PREFIX}${filename}` };
  }
  if (trimmed.startsWith('postgres://') || trimmed.startsWith('postgresql://')) {
    let parsed: URL;
    try {
      parsed = new URL(trimmed);
    } catch {
      throw invalid(url, 'it is not a valid URL');
    }
    if (parsed.hostname === '') throw invalid(url, 'a PostgreSQL URL needs a host');
    const schema = parsed.searchParams.get('schema') ?? undefined;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw invalid(url, `schema "${schema}" must be lower-case letters, digits and underscores, starting with a letter or underscore`);
    }
    // `schema` is ours, not libpq's: take it out before pg parses the rest.
    parsed.searchParams.delete('schema');
    const connectionString = parsed.toString();
    const display = new URL(connectionString);
    if (display.password !== '') display.password = '***';
    if (schema !== undefined) display.searchParams.set('schema', schema);
    return { dialect: 'postgres', connectionString, schema, displayUrl: display.toString() };
  }
  throw invalid(url, 'the scheme is not sqlite:// or postgres://');
}

function invalid(url: string, why: string): StoreError {
  return new StoreError(
    'EK_STORE_URL_INVALID',
    `store.url "${redact(url)}" is not usable: ${why}. Use sqlite://./data/evenkeel.db, sqlite::memory: or postgres://user@host:5432/db`,
  );
}

/** Hides a password in a URL that could not be parsed, so it never reaches a log line. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
