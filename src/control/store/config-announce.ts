import { sql } from 'kysely';
import type { StoreSession } from './store.js';

/**
 * The PostgreSQL channel on which a new config version is announced to the nodes of a fleet. The
 * payload is `<schema>:<version>`: channels are per database, and several fleets may share one
 * database in different schemas (`?schema=` in store.url), so a listener ignores other schemas.
 */
export const CONFIG_CHANNEL = 'evenkeel_config';

/**
 * Announces `version` to every node LISTENing on the store (PostgreSQL only; a SQLite store is a
 * fleet of one). Called inside the transaction that records the version: PostgreSQL delivers a
 * NOTIFY only when that transaction commits, and never when it rolls back.
 */
export async function announceConfigVersion(tx: StoreSession, version: number): Promise<void> {
  if (tx.dialect !== 'postgres') return;
  await sql`select pg_notify(${CONFIG_CHANNEL}, current_schema() || ':' || ${String(version)})`.execute(tx.db);
}

/** Reads an announcement's payload; undefined when it is not `<schema>:<version>`. */
export function parseConfigAnnouncement(payload: string | undefined): { schema: string; version: number } | undefined {
  if (payload === undefined) return undefined;
  const colon = payload.lastIndexOf(':');
  const version = Number(payload.slice(colon + 1));
  if (colon < 1 || !Number.isSafeInteger(version) || version < 1) return undefined;
  return { schema: payload.slice(0, colon), version };
}
