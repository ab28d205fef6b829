import { EventLogError } from '../errors.js';
import type { StoreSession } from '../store/index.js';
import { toAuditEvent, type AuditEvent } from './audit-event.js';

export interface EventQuery {
  /** Only events with `at >= since` (epoch ms). */
  readonly since?: number;
  /** Only events with `at < until` (epoch ms). */
  readonly until?: number;
  readonly kind?: string;
  readonly actor?: string;
  readonly subject?: string;
  /** Only events after this seq: pass the last seq of the previous page to read the next one. */
  readonly afterSeq?: number;
  /** At most this many (default 100, at most 10000). */
  readonly limit?: number;
}

export const DEFAULT_EVENT_LIMIT = 100;
export const MAX_EVENT_LIMIT = 10_000;

/** Events matching `query`, oldest first (by seq). Throws EventLogError EK_EVENT_QUERY_INVALID. */
export async function listEvents(session: StoreSession, query: EventQuery = {}): Promise<AuditEvent[]> {
  const limit = query.limit ?? DEFAULT_EVENT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENT_LIMIT) {
    throw new EventLogError('EK_EVENT_QUERY_INVALID', `limit ${limit} must be an integer from 1 to ${MAX_EVENT_LIMIT}; page with afterSeq for more`);
  }
  for (const key of ['since', 'until', 'afterSeq'] as const) {
    const value = query[key];
    if (value !== undefined && !Number.isSafeInteger(value)) {
      throw new EventLogError('EK_EVENT_QUERY_INVALID', `${key} ${value} must be an integer (epoch milliseconds for since/until)`);
    }
  }
  let select = session.db.selectFrom('events').selectAll();
  if (query.since !== undefined) select = select.where('at', '>=', query.since);
  if (query.until !== undefined) select = select.where('at', '<', query.until);
  if (query.kind !== undefined) select = select.where('kind', '=', query.kind);
  if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
  if (query.subject !== undefined) select = select.where('subject', '=', query.subject);
  if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
  const rows = await select.orderBy('seq', 'asc').limit(limit).execute();
  return rows.map(toAuditEvent);
}
