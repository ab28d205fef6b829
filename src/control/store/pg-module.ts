import type pgModule from 'pg';

// The pg driver, loaded the first time a PostgreSQL store or fleet connection needs it. A node on the
// embedded SQLite store never does, and pg with its type parsers and protocol code is about 3 MB of
// heap that would otherwise stay resident in every serving process (docs/performance.md).

let loading: Promise<typeof pgModule> | undefined;

/** The `pg` module (its default export). */
export function loadPg(): Promise<typeof pgModule> {
  loading ??= import('pg').then((module) => module.default);
  return loading;
}
