import type { ContextEvent } from '../../monitor/index.js';
import { listEvents, MAX_EVENT_LIMIT } from '../events/index.js';
import type { StoreSession } from '../store/index.js';

/**
 * Audit events since `sinceMs`, oldest first, as the monitor's diagnosis reads them (config changes,
 * health transitions). Alert events are left out: an alert is not a cause of itself. Bounded at the
 * newest MAX_EVENT_LIMIT events so that a busy log cannot stall a tick.
 */
export async function recentContextEvents(session: StoreSession, sinceMs: number): Promise<ContextEvent[]> {
  const events: ContextEvent[] = [];
  let afterSeq: number | undefined;
  for (let page = 0; page < 10; page++) {
    const batch = await listEvents(session, { since: Math.floor(sinceMs), afterSeq, limit: MAX_EVENT_LIMIT });
    for (const event of batch) {
      if (event.kind.startsWith('alert.')) continue;
      events.push({ at: event.at, kind: event.kind, actor: event.actor, subject: event.subject, data: event.data });
    }
    if (batch.length < MAX_EVENT_LIMIT) break;
    afterSeq = batch[batch.length - 1]!.seq;
  }
  return events.length > MAX_EVENT_LIMIT ? events.slice(-MAX_EVENT_LIMIT) : events;
}
