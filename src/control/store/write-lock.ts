import type { StoreSession } from './store.js';
import type { EventChainHeadTable } from './tables.js';

/**
 * The control plane's one writer lock: the `event_chain_head` row. Appending an event, numbering a
 * config version, creating the bootstrap admin: each reads, decides and writes, and must not race a
 * writer on another node. Writes are rare, so one lock for all of them costs nothing and cannot
 * deadlock.
 * PostgreSQL: `SELECT ... FOR UPDATE` (under READ COMMITTED a waiter then reads the winner's
 * committed row). SQLite: the transaction already holds the database's write lock (BEGIN IMMEDIATE).
 * Returns the chain head as of now; held until the transaction ends.
 */
export async function lockStoreForWrite(tx: StoreSession): Promise<EventChainHeadTable> {
  if (!tx.isTransaction) throw new Error('lockStoreForWrite must run inside store.transaction()');
  let query = tx.db.selectFrom('event_chain_head').selectAll().where('id', '=', 1);
  if (tx.dialect === 'postgres') query = query.forUpdate();
  const head = await query.executeTakeFirst();
  if (head === undefined) throw new Error('the event chain head row is missing; the store was not migrated');
  return head;
}
