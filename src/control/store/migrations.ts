import { sql, type Kysely, type Migration, type MigrationProvider, type CreateTableBuilder } from 'kysely';
import { ALERT_STATES, APPROVAL_DECISIONS, CHANGE_SOURCES, CHANGE_STATUSES, DRILL_VERDICTS, INCIDENT_STATUSES } from './tables.js';
import { GENESIS_HASH } from './genesis.js';

export type StoreDialect = 'sqlite' | 'postgres';

/** Kysely records applied migrations here; `evenkeel_schema_version` is the schema version table. */
export const MIGRATION_TABLE = 'evenkeel_schema_version';
export const MIGRATION_LOCK_TABLE = 'evenkeel_schema_version_lock';

/**
 * Migrations live in code, not in files next to the build output, so a packaged evenkeel cannot
 * lose them. Names sort lexically; never edit a released migration, add the next one.
 */
export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  const migrations: Record<string, Migration> = {
    '0001_initial': { up: (db) => createInitialSchema(db, dialect) },
    '0002_change_policy': { up: (db) => addChangePolicyColumns(db) },
    '0003_incidents_and_drills': { up: (db) => createIncidentAndDrillTables(db, dialect) },
    '0004_fleet': { up: (db) => addFleetColumnsAndSecrets(db) },
    '0005_fleet_monitor': { up: (db) => addFleetMonitorTables(db) },
  };
  return { getMigrations: () => Promise.resolve(migrations) };
}

// Kysely migrations are untyped by design: they run against whatever schema existed before them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

function oneOf(column: string, values: readonly string[]) {
  return sql`${sql.ref(column)} in (${sql.join(values.map((value) => sql.lit(value)))})`;
}

/** An integer id the database assigns: SQLite's rowid alias, PostgreSQL's identity column. */
function withGeneratedId<T extends string>(table: CreateTableBuilder<T>, dialect: StoreDialect): CreateTableBuilder<T, 'id'> {
  return dialect === 'sqlite'
    ? table.addColumn('id', 'integer', (column) => column.primaryKey().autoIncrement())
    : table.addColumn('id', 'bigint', (column) => column.primaryKey().generatedByDefaultAsIdentity());
}

async function createInitialSchema(db: AnyDb, dialect: StoreDialect): Promise<void> {
  await db.schema
    .createTable('config_versions')
    .addColumn('version', 'bigint', (column) => column.primaryKey())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('author', 'text', (column) => column.notNull())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('config_json', 'text', (column) => column.notNull())
    .addColumn('config_yaml', 'text')
    .addColumn('parent_version', 'bigint', (column) => column.references('config_versions.version'))
    .addCheckConstraint('config_versions_source', oneOf('source', CHANGE_SOURCES))
    .execute();

  await withGeneratedId(db.schema.createTable('change_requests'), dialect)
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('author', 'text', (column) => column.notNull())
    .addColumn('source', 'text', (column) => column.notNull())
    .addColumn('reason', 'text', (column) => column.notNull())
    .addColumn('base_version', 'bigint', (column) => column.references('config_versions.version'))
    .addColumn('proposed_config_json', 'text', (column) => column.notNull())
    .addColumn('proposed_config_yaml', 'text')
    .addColumn('diff_json', 'text')
    .addColumn('simulation_json', 'text')
    .addColumn('flagged', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('applied_version', 'bigint', (column) => column.references('config_versions.version'))
    .addCheckConstraint('change_requests_status', oneOf('status', CHANGE_STATUSES))
    .addCheckConstraint('change_requests_source', oneOf('source', CHANGE_SOURCES))
    .addCheckConstraint('change_requests_flagged', sql`flagged in (0, 1)`)
    .execute();
  await db.schema.createIndex('change_requests_by_status').on('change_requests').columns(['status', 'id']).execute();

  await withGeneratedId(db.schema.createTable('approvals'), dialect)
    .addColumn('change_id', 'bigint', (column) => column.notNull().references('change_requests.id'))
    .addColumn('approver', 'text', (column) => column.notNull())
    .addColumn('decision', 'text', (column) => column.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('approvals_decision', oneOf('decision', APPROVAL_DECISIONS))
    // One decision per person per change: approving twice must not count twice.
    .addUniqueConstraint('approvals_one_per_approver', ['change_id', 'approver'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('seq', 'bigint', (column) => column.primaryKey())
    .addColumn('at', 'bigint', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('actor', 'text', (column) => column.notNull())
    .addColumn('subject', 'text', (column) => column.notNull())
    .addColumn('data_json', 'text', (column) => column.notNull())
    .addColumn('prev_hash', 'text', (column) => column.notNull())
    .addColumn('hash', 'text', (column) => column.notNull())
    .execute();
  await db.schema.createIndex('events_by_at').on('events').columns(['at', 'seq']).execute();
  await db.schema.createIndex('events_by_kind').on('events').columns(['kind', 'seq']).execute();
  await db.schema.createIndex('events_by_hash').on('events').column('hash').execute();

  await db.schema
    .createTable('event_chain_head')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('last_seq', 'bigint', (column) => column.notNull())
    .addColumn('last_hash', 'text', (column) => column.notNull())
    .addCheckConstraint('event_chain_head_single_row', sql`id = 1`)
    .execute();
  await db.insertInto('event_chain_head').values({ id: 1, last_seq: 0, last_hash: GENESIS_HASH }).execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('role', 'text', (column) => column.notNull())
    .addColumn('secret_hash', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('created_by', 'text', (column) => column.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute();

  await withGeneratedId(db.schema.createTable('alerts'), dialect)
    .addColumn('rule', 'text', (column) => column.notNull())
    .addColumn('pool', 'text')
    .addColumn('state', 'text', (column) => column.notNull())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('resolved_at', 'bigint')
    .addColumn('data_json', 'text', (column) => column.notNull().defaultTo('{}'))
    .addCheckConstraint('alerts_state', oneOf('state', ALERT_STATES))
    .execute();
  await db.schema.createIndex('alerts_by_state').on('alerts').columns(['state', 'started_at']).execute();

  await db.schema
    .createTable('nodes')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('hostname', 'text', (column) => column.notNull())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('last_seen_at', 'bigint', (column) => column.notNull())
    .addColumn('config_version', 'bigint')
    .execute();

  await db.schema
    .createTable('telemetry_snapshots')
    .addColumn('node_id', 'text', (column) => column.notNull())
    .addColumn('at', 'bigint', (column) => column.notNull())
    .addColumn('pool', 'text', (column) => column.notNull())
    .addColumn('backend', 'text', (column) => column.notNull())
    .addColumn('requests', 'bigint', (column) => column.notNull())
    .addColumn('errors', 'bigint', (column) => column.notNull())
    .addColumn('latency_p95_ms', 'double precision')
    // A node re-sending the same window overwrites instead of double counting.
    .addPrimaryKeyConstraint('telemetry_snapshots_pk', ['node_id', 'at', 'pool', 'backend'])
    .execute();
  await db.schema.createIndex('telemetry_snapshots_by_at').on('telemetry_snapshots').columns(['at', 'pool']).execute();
}

/**
 * What a change request needs beyond 0001 to be shown and enforced: who proposed it (role and token,
 * for the two-person rule), whether policy holds it for approval, the guardrail and audit findings,
 * and for a rollback the version it restores. One ALTER per column: SQLite adds one at a time.
 */
async function addChangePolicyColumns(db: AnyDb): Promise<void> {
  await db.schema.alterTable('change_requests').addColumn('author_role', 'text').execute();
  await db.schema.alterTable('change_requests').addColumn('author_token_id', 'text').execute();
  await db.schema.alterTable('change_requests').addColumn('needs_approval', 'integer', (column) => column.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('change_requests').addColumn('findings_json', 'text').execute();
  await db.schema.alterTable('change_requests').addColumn('rollback_of', 'bigint', (column) => column.references('config_versions.version')).execute();
}

/** Incidents (opened by firing alerts, with their milestones) and stored drill runs (issue 6). */
async function createIncidentAndDrillTables(db: AnyDb, dialect: StoreDialect): Promise<void> {
  await withGeneratedId(db.schema.createTable('incidents'), dialect)
    .addColumn('pool', 'text', (column) => column.notNull())
    .addColumn('status', 'text', (column) => column.notNull())
    .addColumn('title', 'text', (column) => column.notNull())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('detected_at', 'bigint', (column) => column.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('identified_at', 'bigint')
    .addColumn('mitigated_at', 'bigint')
    .addColumn('resolved_at', 'bigint')
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('data_json', 'text', (column) => column.notNull().defaultTo('{}'))
    .addCheckConstraint('incidents_status', oneOf('status', INCIDENT_STATUSES))
    .execute();
  await db.schema.createIndex('incidents_by_status').on('incidents').columns(['status', 'pool']).execute();
  await db.schema.createIndex('incidents_by_started').on('incidents').column('started_at').execute();

  await withGeneratedId(db.schema.createTable('drill_runs'), dialect)
    .addColumn('scenario', 'text', (column) => column.notNull())
    .addColumn('started_at', 'bigint', (column) => column.notNull())
    .addColumn('ended_at', 'bigint', (column) => column.notNull())
    .addColumn('speed', 'double precision', (column) => column.notNull())
    .addColumn('verdict', 'text', (column) => column.notNull())
    .addColumn('detect_s', 'double precision')
    .addColumn('mitigate_s', 'double precision')
    .addColumn('slowed_share', 'double precision')
    .addColumn('failed_share', 'double precision')
    .addColumn('diagnosis_ok', 'integer')
    .addColumn('result_json', 'text', (column) => column.notNull())
    .addCheckConstraint('drill_runs_verdict', oneOf('verdict', DRILL_VERDICTS))
    .execute();
  await db.schema.createIndex('drill_runs_by_scenario').on('drill_runs').columns(['scenario', 'started_at']).execute();
}

/**
 * Fleet mode (issue 8): where a node's admin API answers (for `evenkeel fleet status`), and secrets
 * every node must share, such as the key that signs persistence cookies. A secret row is created once
 * with INSERT ... ON CONFLICT DO NOTHING, so nodes starting at the same moment read the same key.
 */
async function addFleetColumnsAndSecrets(db: AnyDb): Promise<void> {
  await db.schema.alterTable('nodes').addColumn('admin_url', 'text').execute();
  await db.schema
    .createTable('shared_secrets')
    .addColumn('name', 'text', (column) => column.primaryKey())
    .addColumn('value', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
}

/**
 * The fleet-wide monitor (issue 8, part 2): every node publishes each whole second of its per-backend
 * telemetry (status classes, latency histogram: what the monitor rules read) as one row of
 * `telemetry_seconds`; the node holding the monitor's advisory lock merges every node's rows and
 * evaluates the rules on them. `nodes.monitor_lock_pid` is the PostgreSQL backend pid of the node's
 * lock connection while it holds the lock, so `fleet status` can tell which node leads (pg_locks).
 */
async function addFleetMonitorTables(db: AnyDb): Promise<void> {
  await db.schema.alterTable('nodes').addColumn('monitor_lock_pid', 'bigint').execute();
  await db.schema
    .createTable('telemetry_seconds')
    .addColumn('node_id', 'text', (column) => column.notNull())
    .addColumn('second', 'bigint', (column) => column.notNull())
    .addColumn('data_json', 'text', (column) => column.notNull())
    // A node re-sending a second (its previous write failed half-way) changes nothing.
    .addPrimaryKeyConstraint('telemetry_seconds_pk', ['node_id', 'second'])
    .execute();
  await db.schema.createIndex('telemetry_seconds_by_second').on('telemetry_seconds').columns(['second']).execute();
}
