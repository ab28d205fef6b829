import type { StoreSession } from '../store/index.js';

/**
 * The secret named `name` that every node sharing this store uses, created from `create()` on first
 * use. INSERT ... ON CONFLICT DO NOTHING then a read: two nodes starting at the same moment both
 * insert, one wins, and both read the winner's value.
 */
export async function sharedSecret(session: StoreSession, name: string, create: () => string, now: number = Date.now()): Promise<string> {
  await session.db
    .insertInto('shared_secrets')
    .values({ name, value: create(), created_at: now })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  const row = await session.db.selectFrom('shared_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return row.value;
}
