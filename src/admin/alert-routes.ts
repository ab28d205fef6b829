import type { FastifyInstance } from 'fastify';
import { listAlerts, type Store } from '../control/index.js';
import type { Alert, AlertState } from '../monitor/index.js';
import { READ_ROLES } from './auth.js';
import { alertListQuery, alertRef, clientErrors } from './schemas.js';

// GET /api/v1/alerts: what the monitor sees now and what it saw before. The node's memory holds the
// unresolved alerts and the recently resolved ones with their live evidence; the store holds every
// alert ever recorded (fleet-wide, and across restarts), so older ones come from there.

/** What the admin API needs of the node's monitor (src/monitor's Monitor satisfies it). */
export interface AdminMonitorSource {
  /** Unresolved alerts (pending and firing), most severe first. */
  alerts(): readonly Alert[];
  /** Unresolved plus recently resolved alerts, newest first. */
  recent(limit?: number): readonly Alert[];
  /** Current total request rate and its baseline (undefined while the baseline warms up). */
  traffic(): { rps: number; baselineRps: number | undefined };
}

export const DEFAULT_ALERT_LIST_LIMIT = 50;

export function registerAlertRoutes(app: FastifyInstance, options: { store: Store; monitor: (() => AdminMonitorSource | undefined) | undefined }): void {
  app.get<{ Querystring: { state?: AlertState; limit?: number } }>('/api/v1/alerts', {
    config: { access: READ_ROLES },
    schema: {
      summary: "Alerts, newest first: the node's live ones, then older ones from the store",
      tags: ['alerts'],
      querystring: alertListQuery,
      response: { 200: { type: 'array', items: alertRef }, 400: clientErrors[400], 401: clientErrors[401], 403: clientErrors[403] },
    },
    handler: async (request) => {
      const { state } = request.query;
      const limit = request.query.limit ?? DEFAULT_ALERT_LIST_LIMIT;
      return collectAlerts(options.monitor?.(), options.store, state, limit);
    },
  });
}

/** The monitor's alerts first (live evidence), then the store's, without duplicates, newest first. */
export async function collectAlerts(monitor: AdminMonitorSource | undefined, store: Store, state: AlertState | undefined, limit: number): Promise<Alert[]> {
  const inMemory = (monitor?.recent() ?? []).filter((alert) => state === undefined || alert.state === state);
  const seen = new Set(inMemory.map(identity));
  const merged = [...inMemory];
  if (merged.length < limit) {
    for (const stored of await listAlerts(store, { state, limit })) {
      if (seen.has(identity(stored))) continue;
      seen.add(identity(stored));
      merged.push(stored);
    }
  }
  merged.sort((a, b) => b.startedAt - a.startedAt);
  return merged.slice(0, limit);
}

function identity(alert: Alert): string {
  return `${alert.fingerprint}@${alert.startedAt}`;
}
