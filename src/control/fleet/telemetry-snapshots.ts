import type { StoreSession, TelemetrySnapshotTable } from '../store/index.js';

/** How long a node keeps its own telemetry snapshots before deleting them. */
export const SNAPSHOT_RETENTION_MS = 15 * 60_000;

/**
 * Writes one window of a node's per-backend traffic (one row per pool and backend, `at` the window's
 * end). Re-sending the same window overwrites instead of double counting.
 */
export async function recordTelemetrySnapshot(session: StoreSession, rows: readonly TelemetrySnapshotTable[]): Promise<void> {
  if (rows.length === 0) return;
  await session.db
    .insertInto('telemetry_snapshots')
    .values([...rows])
    .onConflict((conflict) =>
      conflict.columns(['node_id', 'at', 'pool', 'backend']).doUpdateSet((eb) => ({
        requests: eb.ref('excluded.requests'),
        errors: eb.ref('excluded.errors'),
        latency_p95_ms: eb.ref('excluded.latency_p95_ms'),
      })),
    )
    .execute();
}

/** Deletes a node's snapshots older than the retention. */
export async function pruneTelemetrySnapshots(session: StoreSession, nodeId: string, now: number = Date.now()): Promise<void> {
  await session.db.deleteFrom('telemetry_snapshots').where('node_id', '=', nodeId).where('at', '<', now - SNAPSHOT_RETENTION_MS).execute();
}
