import { withConfigDefaults, type Config } from '../../config/index.js';
import { canonicalJson } from '../events/index.js';
import type { ChangeRequestTable, ChangeSource, ChangeStatus, StoreSession } from '../store/index.js';
import type { TokenRole } from '../tokens/index.js';
import type { ChangeApproval, ChangeFinding, ChangeRequest, ImpactSimulation } from './change-request.js';

// Rows of change_requests and approvals <-> ChangeRequest. JSON columns hold canonical JSON (see
// store/tables.ts); booleans are 0/1.

export interface NewChangeRecord {
  status: ChangeStatus;
  author: string;
  authorRole: ChangeRequest['authorRole'];
  authorTokenId: string;
  source: ChangeSource;
  reason: string;
  baseVersion: number | null;
  proposedConfig: Config;
  proposedConfigYaml: string | null;
  diff: string[];
  simulation: ImpactSimulation | null;
  isFlagged: boolean;
  findings: ChangeFinding[];
  needsApproval: boolean;
  rollbackOf: number | null;
  at: number;
}

/** Inserts a change request; returns its id. */
export async function insertChange(tx: StoreSession, record: NewChangeRecord): Promise<number> {
  const row = await tx.db
    .insertInto('change_requests')
    .values({
      status: record.status,
      author: record.author,
      author_role: record.authorRole,
      author_token_id: record.authorTokenId,
      source: record.source,
      reason: record.reason,
      base_version: record.baseVersion,
      proposed_config_json: JSON.stringify(record.proposedConfig),
      proposed_config_yaml: record.proposedConfigYaml,
      diff_json: canonicalJson(record.diff),
      simulation_json: record.simulation === null ? null : JSON.stringify(record.simulation, finiteNumbers),
      flagged: record.isFlagged ? 1 : 0,
      findings_json: canonicalJson(record.findings),
      needs_approval: record.needsApproval ? 1 : 0,
      rollback_of: record.rollbackOf,
      created_at: record.at,
      updated_at: record.at,
      applied_version: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function updateChangeStatus(tx: StoreSession, id: number, status: ChangeStatus, at: number, appliedVersion?: number): Promise<void> {
  await tx.db
    .updateTable('change_requests')
    .set(appliedVersion === undefined ? { status, updated_at: at } : { status, updated_at: at, applied_version: appliedVersion })
    .where('id', '=', id)
    .execute();
}

export async function insertApproval(tx: StoreSession, changeId: number, approver: string, decision: 'approve' | 'reject', comment: string | null, at: number): Promise<void> {
  await tx.db.insertInto('approvals').values({ change_id: changeId, approver, decision, comment, at }).execute();
}

/** One change with its approvals, or undefined. */
export async function findChange(session: StoreSession, id: number): Promise<ChangeRequest | undefined> {
  const row = await session.db.selectFrom('change_requests').selectAll().where('id', '=', id).executeTakeFirst();
  if (row === undefined) return undefined;
  const approvals = await session.db.selectFrom('approvals').selectAll().where('change_id', '=', id).orderBy('id', 'asc').execute();
  return toChangeRequest(row, approvals.map((approval) => ({ approver: approval.approver, decision: approval.decision, comment: approval.comment, at: approval.at })));
}

/** Changes newest first, with their approvals. */
export async function findChanges(session: StoreSession, filter: { status?: ChangeStatus; limit: number; appliedAfterVersion?: number }): Promise<ChangeRequest[]> {
  let query = session.db.selectFrom('change_requests').selectAll();
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.appliedAfterVersion !== undefined) query = query.where('applied_version', '>', filter.appliedAfterVersion);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit).execute();
  if (rows.length === 0) return [];
  const approvals = await session.db
    .selectFrom('approvals')
    .selectAll()
    .where('change_id', 'in', rows.map((row) => row.id))
    .orderBy('id', 'asc')
    .execute();
  const byChange = new Map<number, ChangeApproval[]>();
  for (const approval of approvals) {
    const list = byChange.get(Number(approval.change_id)) ?? [];
    list.push({ approver: approval.approver, decision: approval.decision, comment: approval.comment, at: approval.at });
    byChange.set(Number(approval.change_id), list);
  }
  return rows.map((row) => toChangeRequest(row, byChange.get(Number(row.id)) ?? []));
}

type ChangeRow = Omit<ChangeRequestTable, 'id' | 'needs_approval'> & { id: number; needs_approval: number };

function toChangeRequest(row: ChangeRow, approvals: ChangeApproval[]): ChangeRequest {
  return {
    id: Number(row.id),
    status: row.status,
    author: row.author,
    authorRole: (row.author_role ?? 'node') as TokenRole | 'file' | 'node',
    source: row.source,
    reason: row.reason,
    baseVersion: row.base_version,
    proposedConfig: withConfigDefaults(JSON.parse(row.proposed_config_json) as unknown),
    diff: row.diff_json === null ? [] : (JSON.parse(row.diff_json) as string[]),
    simulation: row.simulation_json === null ? null : (JSON.parse(row.simulation_json, restoreInfinity) as ImpactSimulation),
    isFlagged: row.flagged === 1,
    findings: row.findings_json === null ? [] : (JSON.parse(row.findings_json) as ChangeFinding[]),
    needsApproval: row.needs_approval === 1,
    approvals,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    appliedVersion: row.applied_version,
    rollbackOf: row.rollback_of,
  };
}

// A simulation's ratio is Infinity for a backend with weight share 0 that still gets requests; JSON has
// no Infinity, so it is stored as the string "Infinity" and read back as the number.
function finiteNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function restoreInfinity(key: string, value: unknown): unknown {
  return key === 'ratio' && value === 'Infinity' ? Infinity : value;
}
