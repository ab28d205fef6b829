import type { StoreSession } from '../store/index.js';

/** How long a node keeps its published seconds: the leader reads at most the last 5 minutes (its ring). */
export const TELEMETRY_SECONDS_RETENTION_MS = 10 * 60_000;

export interface PublishedSecond {
  readonly nodeId: string;
  /** Epoch seconds. */
  readonly second: number;
  /** A FleetSecond (src/telemetry/fleet-second.ts), parsed. */
  readonly data: unknown;
}

/**
 * Publishes whole seconds of a node's telemetry (data_json: a FleetSecond as JSON). A second already
 * published (a retried write) is kept as it was, never counted twice.
 */
export async function recordTelemetrySeconds(session: StoreSession, nodeId: string, seconds: readonly { second: number; dataJson: string }[]): Promise<void> {
  if (seconds.length === 0) return;
  await session.db
    .insertInto('telemetry_seconds')
    .values(seconds.map((entry) => ({ node_id: nodeId, second: entry.second, data_json: entry.dataJson })))
    .onConflict((conflict) => conflict.columns(['node_id', 'second']).doNothing())
    .execute();
}

/** Every node's published seconds from `fromSecond` on, oldest first. */
export async function readTelemetrySeconds(session: StoreSession, fromSecond: number): Promise<PublishedSecond[]> {
  const rows = await session.db.selectFrom('telemetry_seconds').selectAll().where('second', '>=', fromSecond).orderBy('second').orderBy('node_id').execute();
  return rows.map((row) => ({ nodeId: row.node_id, second: Number(row.second), data: JSON.parse(row.data_json) as unknown }));
}

/** Deletes a node's published seconds older than the retention. */
export async function pruneTelemetrySeconds(session: StoreSession, nodeId: string, now: number = Date.now()): Promise<void> {
  await session.db.deleteFrom('telemetry_seconds').where('node_id', '=', nodeId).where('second', '<', Math.floor((now - TELEMETRY_SECONDS_RETENTION_MS) / 1000)).execute();
}

/** Records the backend pid of a node's monitor-lock connection (null: the node does not hold the lock). */
export async function recordMonitorLockPid(session: StoreSession, nodeId: string, pid: number | null): Promise<void> {
  await session.db.updateTable('nodes').set({ monitor_lock_pid: pid }).where('id', '=', nodeId).execute();
}
