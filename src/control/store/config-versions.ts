import { withConfigDefaults } from '../../config/index.js';
import { announceConfigVersion } from './config-announce.js';
import { lockStoreForWrite } from './write-lock.js';
import type { StoreSession } from './store.js';
import type { ChangeSource, ConfigVersionTable } from './tables.js';

/** A config as it was applied, with who, why and what it replaced. */
export interface ConfigVersion {
  readonly version: number;
  readonly createdAt: number;
  readonly author: string;
  readonly source: ChangeSource;
  readonly reason: string;
  /** The validated config (the schema parser's output), as stored. */
  readonly config: unknown;
  readonly configYaml: string | null;
  readonly parentVersion: number | null;
}

export type ConfigVersionSummary = Omit<ConfigVersion, 'config' | 'configYaml'>;

export interface NewConfigVersion {
  readonly author: string;
  readonly source: ChangeSource;
  readonly reason: string;
  readonly config: unknown;
  readonly configYaml?: string | null;
  /** The version this one replaces; defaults to the latest version (none for the first). */
  readonly parentVersion?: number | null;
}

/**
 * Records the next config version (latest + 1, no gaps across nodes: numbered under the store's write
 * lock). Inside a caller's transaction it commits with it, so "version recorded" and "change marked
 * applied" cannot disagree. On PostgreSQL the version is announced to the fleet when it commits.
 */
export function recordConfigVersion(session: StoreSession, input: NewConfigVersion): Promise<ConfigVersion> {
  const configJson = JSON.stringify(input.config);
  return session.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    const latest = await tx.db.selectFrom('config_versions').select('version').orderBy('version', 'desc').limit(1).executeTakeFirst();
    const version = (latest?.version ?? 0) + 1;
    const row: ConfigVersionTable = {
      version,
      created_at: Date.now(),
      author: input.author,
      source: input.source,
      reason: input.reason,
      config_json: configJson,
      config_yaml: input.configYaml ?? null,
      parent_version: input.parentVersion === undefined ? (latest?.version ?? null) : input.parentVersion,
    };
    await tx.db.insertInto('config_versions').values(row).execute();
    await announceConfigVersion(tx, version);
    return toConfigVersion(row);
  });
}

/** One version, or undefined when there is no such version. */
export async function getConfigVersion(session: StoreSession, version: number): Promise<ConfigVersion | undefined> {
  const row = await session.db.selectFrom('config_versions').selectAll().where('version', '=', version).executeTakeFirst();
  return row === undefined ? undefined : toConfigVersion(row);
}

/** The newest version, or undefined on a store that has none yet. */
export async function latestConfigVersion(session: StoreSession): Promise<ConfigVersion | undefined> {
  const row = await session.db.selectFrom('config_versions').selectAll().orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row === undefined ? undefined : toConfigVersion(row);
}

/** Versions newest first, without their bodies; `beforeVersion` pages back. */
export async function listConfigVersions(
  session: StoreSession,
  options: { limit?: number; beforeVersion?: number } = {},
): Promise<ConfigVersionSummary[]> {
  let query = session.db.selectFrom('config_versions').select(['version', 'created_at', 'author', 'source', 'reason', 'parent_version']);
  if (options.beforeVersion !== undefined) query = query.where('version', '<', options.beforeVersion);
  const rows = await query.orderBy('version', 'desc').limit(Math.min(Math.max(options.limit ?? 50, 1), 1000)).execute();
  return rows.map((row) => ({
    version: row.version,
    createdAt: row.created_at,
    author: row.author,
    source: row.source,
    reason: row.reason,
    parentVersion: row.parent_version,
  }));
}

function toConfigVersion(row: ConfigVersionTable): ConfigVersion {
  return {
    version: row.version,
    createdAt: row.created_at,
    author: row.author,
    source: row.source,
    reason: row.reason,
    config: withConfigDefaults(JSON.parse(row.config_json) as unknown),
    configYaml: row.config_yaml,
    parentVersion: row.parent_version,
  };
}
