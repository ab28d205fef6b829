import { sql } from 'kysely';
import type { StoreSession } from '../store/index.js';

/** How often a node of a fleet writes its heartbeat row. */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** A node whose heartbeat is older than this (three missed beats) is `stale`. */
export const STALE_AFTER_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** A node whose heartbeat is older than this is `gone` (crashed, or cut off from the database). */
export const GONE_AFTER_MS = 30_000;
/** Per-node requests per second are read from the telemetry snapshots of this window. */
const TRAFFIC_WINDOW_MS = 10_000;
/** Nodes write whole seconds about 2 s late (see the node's snapshot writer): the window ends that much earlier. */
const SNAPSHOT_LAG_MS = 2000;

/**
 * The first key of the monitor's advisory lock, pg_try_advisory_lock(MONITOR_LOCK_CLASS, <schema hash>)
 * ('ekml'); pg_locks shows it as classid.
 */
export const MONITOR_LOCK_CLASS = 0x656b6d6c;

export type FleetNodeState = 'live' | 'stale' | 'gone';

export interface NodeHeartbeat {
  readonly id: string;
  readonly hostname: string;
  readonly startedAt: number;
  readonly configVersion: number;
  readonly adminUrl: string | null;
}

/** A node as `evenkeel fleet status` shows it. */
export interface FleetNode {
  readonly id: string;
  readonly hostname: string;
  readonly adminUrl: string | null;
  readonly startedAt: number;
  readonly lastSeenAt: number;
  readonly heartbeatAgeMs: number;
  readonly state: FleetNodeState;
  readonly configVersion: number | null;
  /** Requests per second over the last 10 s of this node's telemetry snapshots; null when it wrote none. */
  readonly requestsPerSecond: number | null;
  /** This node holds the monitor's advisory lock now: it evaluates the rules for the fleet. */
  readonly isLeader: boolean;
}

/** Writes (or refreshes) a node's row: registration and heartbeat are the same upsert. */
export async function recordNodeHeartbeat(session: StoreSession, beat: NodeHeartbeat, now: number = Date.now()): Promise<void> {
  await session.db
    .insertInto('nodes')
    .values({ id: beat.id, hostname: beat.hostname, started_at: beat.startedAt, last_seen_at: now, config_version: beat.configVersion, admin_url: beat.adminUrl })
    .onConflict((conflict) =>
      conflict.column('id').doUpdateSet({ hostname: beat.hostname, started_at: beat.startedAt, last_seen_at: now, config_version: beat.configVersion, admin_url: beat.adminUrl }),
    )
    .execute();
}

/** Removes a node's row (a clean shutdown): the fleet then lists it no more instead of as `gone`. */
export async function removeNode(session: StoreSession, id: string): Promise<void> {
  await session.db.deleteFrom('nodes').where('id', '=', id).execute();
}

/** Classifies a node by the age of its last heartbeat. */
export function nodeStateOf(heartbeatAgeMs: number): FleetNodeState {
  if (heartbeatAgeMs <= STALE_AFTER_MS) return 'live';
  return heartbeatAgeMs <= GONE_AFTER_MS ? 'stale' : 'gone';
}

/** Every registered node, by id, with its state and its traffic from the telemetry snapshots. */
export async function listFleetNodes(session: StoreSession, now: number = Date.now()): Promise<FleetNode[]> {
  const rows = await session.db.selectFrom('nodes').selectAll().orderBy('id').execute();
  const since = now - TRAFFIC_WINDOW_MS - SNAPSHOT_LAG_MS;
  const traffic = await session.db
    .selectFrom('telemetry_snapshots')
    .select((eb) => ['node_id', eb.fn.sum<number | string>('requests').as('requests')])
    .where('at', '>', since)
    .groupBy('node_id')
    .execute();
  const requestsByNode = new Map(traffic.map((row) => [row.node_id, Number(row.requests)]));
  const lockHolders = await monitorLockHolders(session);
  return rows.map((row) => {
    const heartbeatAgeMs = Math.max(0, now - row.last_seen_at);
    const requests = requestsByNode.get(row.id);
    return {
      id: row.id,
      hostname: row.hostname,
      adminUrl: row.admin_url,
      startedAt: row.started_at,
      lastSeenAt: row.last_seen_at,
      heartbeatAgeMs,
      state: nodeStateOf(heartbeatAgeMs),
      configVersion: row.config_version,
      requestsPerSecond: requests === undefined ? null : Math.round((requests / (TRAFFIC_WINDOW_MS / 1000)) * 10) / 10,
      isLeader: row.monitor_lock_pid !== null && lockHolders.has(Number(row.monitor_lock_pid)),
    };
  });
}

/**
 * The backend pids holding a monitor lock in this database now (PostgreSQL only). A node's row names
 * the pid of its lock connection, so a leader that died, whose lock went with its connection, is
 * never shown as leading, however fresh its row.
 */
async function monitorLockHolders(session: StoreSession): Promise<Set<number>> {
  if (session.dialect !== 'postgres') return new Set();
  const result = await sql<{ pid: number }>`select pid from pg_locks where locktype = 'advisory' and granted and classid = ${MONITOR_LOCK_CLASS}::oid and objsubid = 2 and database = (select oid from pg_database where datname = current_database())`.execute(session.db);
  return new Set(result.rows.map((row) => Number(row.pid)));
}
