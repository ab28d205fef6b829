import { describeConfigChanges, type Config } from '../../config/index.js';
import { ChangeError, ChangeRefusedError } from '../errors.js';
import { appendEvent, canonicalJson, EVENT_KINDS } from '../events/index.js';
import {
  assertMayApply,
  assertMayDecide,
  assertMayPropose,
  evaluateGuardrails,
  isApprovalRequired,
  isNodeActor,
  mayApplyDirectly,
  policyChangeFindings,
  policyOf,
  restartOnlyFindings,
} from '../policy/index.js';
import {
  CHANGE_SOURCES,
  CHANGE_STATUSES,
  getConfigVersion,
  latestConfigVersion,
  lockStoreForWrite,
  recordConfigVersion,
  type ChangeSource,
  type ConfigVersion,
  type StoreSession,
} from '../store/index.js';
import { findChange, findChanges, insertApproval, insertChange, updateChangeStatus, type NewChangeRecord } from './change-records.js';
import type { Actor, ChangeFinding, ChangeRequest, ProposeChange } from './change-request.js';
import type { ChangeListFilter, ChangeService, ChangeServiceOptions, RollbackOptions } from './change-service.js';

const MAX_REASON_LENGTH = 2000;
const DEFAULT_LIST_LIMIT = 50;
const MAX_LIST_LIMIT = 1000;
/** The approver recorded when a guardrail refuses a change. */
export const GUARDRAIL_ACTOR = 'guardrail';

/**
 * Opens the change service on a store: reads the live config version (recording `initialConfig` as
 * version 1 on an empty store) and returns the service. It does not call applyLive at start: the
 * caller starts the data plane with liveConfig(), which is the store's latest version, so a process
 * that died between committing a version and applying it serves that version after the restart.
 */
export async function createChangeService(options: ChangeServiceOptions): Promise<ChangeService> {
  const live = await loadLiveVersion(options);
  return new StoredChangeService(options, live);
}

async function loadLiveVersion(options: ChangeServiceOptions): Promise<ConfigVersion> {
  const { store } = options;
  const latest = await latestConfigVersion(store);
  if (latest !== undefined) return latest;
  const initial = options.initialConfig;
  if (initial === undefined) {
    throw new ChangeError('EK_CHANGE_NO_LIVE_CONFIG', `the store ${store.displayUrl} holds no config version yet; start the node with a config file so that it becomes version 1`);
  }
  return store.transaction(async (tx) => {
    await lockStoreForWrite(tx);
    // Another node may have recorded version 1 while this one waited for the lock.
    const raced = await latestConfigVersion(tx);
    if (raced !== undefined) return raced;
    const version = await recordConfigVersion(tx, {
      author: 'file',
      source: 'file',
      reason: initial.reason ?? 'first start: the config file becomes version 1',
      config: initial.config,
      configYaml: initial.configYaml ?? null,
      parentVersion: null,
    });
    await appendEvent(tx, { kind: EVENT_KINDS.configInitial, actor: 'file', subject: `version:${version.version}`, data: { version: version.version, reason: version.reason } });
    return version;
  });
}

class StoredChangeService implements ChangeService {
  readonly #options: ChangeServiceOptions;
  readonly #now: () => number;
  #live: { version: number; config: Config };

  constructor(options: ChangeServiceOptions, live: ConfigVersion) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#live = { version: live.version, config: live.config as Config };
  }

  liveVersion(): number {
    return this.#live.version;
  }

  liveConfig(): Config {
    return this.#live.config;
  }

  async propose(input: ProposeChange): Promise<ChangeRequest> {
    const reason = checkReason(input.reason);
    const source = sourceOf(input.actor, input.source);
    const base = await this.#latest(this.#options.store);
    if (input.baseVersion !== undefined && input.baseVersion !== base.version) throw staleBase(undefined, input.baseVersion, base.version);
    const live = base.config as Config;
    assertMayPropose(policyOf(live), input.actor);
    if (canonicalJson(live) === canonicalJson(input.config)) {
      throw new ChangeError('EK_CHANGE_EMPTY', `the proposed config is the same as the live version ${base.version}; there is nothing to change`);
    }
    const assessed = this.#assess(live, input.config, source, false);
    const isRefused = assessed.findings.some((finding) => finding.severity === 'error');
    const record: NewChangeRecord = {
      status: isRefused ? 'rejected' : 'proposed',
      author: input.actor.name,
      authorRole: authorRoleOf(input.actor),
      authorTokenId: input.actor.tokenId,
      source,
      reason,
      baseVersion: base.version,
      proposedConfig: input.config,
      proposedConfigYaml: input.configYaml ?? null,
      ...assessed,
      needsApproval: isApprovalRequired(policyOf(live), source, input.actor, assessed.isFlagged),
      rollbackOf: null,
      at: this.#now(),
    };
    const id = await this.#options.store.transaction(async (tx) => {
      await lockStoreForWrite(tx);
      const changeId = await insertChange(tx, record);
      await appendEvent(tx, { kind: EVENT_KINDS.changeProposed, actor: input.actor.name, subject: subjectOf(changeId), data: proposedEventData(changeId, record) });
      if (isRefused) {
        const refusing = record.findings.filter((finding) => finding.severity === 'error');
        await insertApproval(tx, changeId, GUARDRAIL_ACTOR, 'reject', refusing.map((finding) => finding.message).join('; '), record.at);
        await appendEvent(tx, {
          kind: EVENT_KINDS.changeRejected,
          actor: GUARDRAIL_ACTOR,
          subject: subjectOf(changeId),
          data: { changeId, status: 'rejected', diff: record.diff, findings: refusing },
        });
      }
      return changeId;
    });
    if (isRefused) throw new ChangeRefusedError(id, record.findings);
    return this.get(id);
  }

  async list(filter: ChangeListFilter = {}): Promise<ChangeRequest[]> {
    if (filter.status !== undefined && !(CHANGE_STATUSES as readonly string[]).includes(filter.status)) {
      throw new ChangeError('EK_CHANGE_INVALID', `status "${String(filter.status)}" is not one of ${CHANGE_STATUSES.join(', ')}`);
    }
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new ChangeError('EK_CHANGE_INVALID', `limit ${limit} must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
    }
    return findChanges(this.#options.store, { status: filter.status, limit });
  }

  async get(id: number): Promise<ChangeRequest> {
    return mustFind(this.#options.store, id);
  }

  approve(id: number, actor: Actor, comment?: string): Promise<ChangeRequest> {
    return this.#decide(id, actor, 'approve', comment);
  }

  reject(id: number, actor: Actor, comment?: string): Promise<ChangeRequest> {
    return this.#decide(id, actor, 'reject', comment);
  }

  async apply(id: number, actor: Actor): Promise<ChangeRequest> {
    assertMayApply(actor, 'apply changes');
    const at = this.#now();
    const { change, version } = await this.#options.store.transaction(async (tx) => {
      await lockStoreForWrite(tx);
      const current = await mustFind(tx, id);
      if (!(current.status === 'approved' || (current.status === 'proposed' && !current.needsApproval))) throw notApplicable(current);
      const latest = await this.#latest(tx);
      if (current.baseVersion !== latest.version) throw staleBase(id, current.baseVersion, latest.version);
      const recorded = await recordConfigVersion(tx, {
        author: current.author,
        source: current.source,
        reason: `change ${id}: ${current.reason}`,
        config: current.proposedConfig,
        configYaml: await this.#yamlOf(tx, id),
        parentVersion: latest.version,
      });
      await updateChangeStatus(tx, id, 'applied', at, recorded.version);
      await appendEvent(tx, {
        kind: EVENT_KINDS.changeApplied,
        actor: actor.name,
        subject: subjectOf(id),
        data: { changeId: id, status: 'applied', version: recorded.version, baseVersion: current.baseVersion, rollbackOf: current.rollbackOf, diff: current.diff },
      });
      if (current.rollbackOf !== null) await markRolledBack(tx, actor, id, current.rollbackOf, at);
      return { change: current, version: recorded.version };
    });
    try {
      this.#swapLive(change.proposedConfig, version);
    } catch (error) {
      await this.#undoFailedApply(change, actor, version, error);
    }
    return this.get(id);
  }

  async rollback(actor: Actor, options: RollbackOptions): Promise<ChangeRequest> {
    const reason = checkReason(options.reason);
    const source = sourceOf(actor, options.source);
    const latest = await this.#latest(this.#options.store);
    const live = latest.config as Config;
    assertMayPropose(policyOf(live), actor);
    const toVersion = options.toVersion ?? latest.version - 1;
    if (!Number.isSafeInteger(toVersion) || toVersion < 1) {
      throw new ChangeError('EK_VERSION_NOT_FOUND', options.toVersion === undefined
        ? `version ${latest.version} is the first config version; there is no earlier version to roll back to`
        : `version ${String(options.toVersion)} does not exist; versions are numbered from 1 (see evenkeel config versions)`);
    }
    if (toVersion === latest.version) throw new ChangeError('EK_CHANGE_EMPTY', `version ${toVersion} is already live; name an earlier version to roll back to`);
    const target = await getConfigVersion(this.#options.store, toVersion);
    if (target === undefined) throw new ChangeError('EK_VERSION_NOT_FOUND', `version ${toVersion} does not exist; the live version is ${latest.version}`);
    const config = target.config as Config;
    // A rollback returns to a config that was live before: its findings and simulation are recorded for
    // the reader but neither refuse nor hold it, because blocking the way back during an incident is
    // worse than what they warn about. Only who asks decides whether it waits (automation does).
    const assessed = this.#assess(live, config, source, true);
    const record: NewChangeRecord = {
      status: 'proposed',
      author: actor.name,
      authorRole: authorRoleOf(actor),
      authorTokenId: actor.tokenId,
      source,
      reason,
      baseVersion: latest.version,
      proposedConfig: config,
      proposedConfigYaml: target.configYaml,
      ...assessed,
      needsApproval: !mayApplyDirectly(actor),
      rollbackOf: toVersion,
      at: this.#now(),
    };
    const id = await this.#options.store.transaction(async (tx) => {
      await lockStoreForWrite(tx);
      const changeId = await insertChange(tx, record);
      await appendEvent(tx, { kind: EVENT_KINDS.changeProposed, actor: actor.name, subject: subjectOf(changeId), data: proposedEventData(changeId, record) });
      return changeId;
    });
    if (record.needsApproval) return this.get(id);
    return this.apply(id, actor);
  }

  #assess(live: Config, proposed: Config, source: ChangeSource, isRollback: boolean): Pick<NewChangeRecord, 'diff' | 'simulation' | 'findings' | 'isFlagged'> {
    const policy = policyOf(live);
    const diff = describeConfigChanges(live, proposed);
    const simulation = this.#options.simulate(live, proposed, { maxShareRatio: policy.simulation.max_share_ratio });
    const findings: ChangeFinding[] = [
      ...restartOnlyFindings(live, proposed, isRollback ? 'file' : source),
      ...policyChangeFindings(live, proposed, source),
      ...evaluateGuardrails(live, proposed, policy, this.#options.backendHealth),
      ...(this.#options.audit?.(proposed, live) ?? []),
    ];
    const recorded = isRollback ? findings.map(asWarning) : findings;
    const isFlagged = simulation.flags.length > 0 || recorded.some((finding) => finding.severity === 'warning');
    return { diff, simulation, findings: recorded, isFlagged };
  }

  async #decide(id: number, actor: Actor, decision: 'approve' | 'reject', comment: string | undefined): Promise<ChangeRequest> {
    const note = comment === undefined || comment.trim() === '' ? null : comment.trim().slice(0, MAX_REASON_LENGTH);
    const at = this.#now();
    return this.#options.store.transaction(async (tx) => {
      await lockStoreForWrite(tx);
      const change = await mustFind(tx, id);
      const latest = await this.#latest(tx);
      assertMayDecide(policyOf(latest.config as Config), actor, { id, author: change.author, authorTokenId: await this.#authorTokenId(tx, id) }, decision);
      const isOpen = change.status === 'proposed' || (decision === 'reject' && change.status === 'approved');
      if (!isOpen) {
        throw new ChangeError('EK_CHANGE_STATE', `change ${id} is ${change.status}; only a proposed change can be ${decision === 'approve' ? 'approved' : 'rejected (or an approved one that is not applied yet)'}`, { changeId: id });
      }
      if (change.approvals.some((approval) => approval.approver === actor.name)) {
        throw new ChangeError('EK_CHANGE_STATE', `you already decided on change ${id}; another approver must ${decision} it`, { changeId: id });
      }
      await insertApproval(tx, id, actor.name, decision, note, at);
      const status = decision === 'approve' ? 'approved' : 'rejected';
      await updateChangeStatus(tx, id, status, at);
      await appendEvent(tx, {
        kind: decision === 'approve' ? EVENT_KINDS.changeApproved : EVENT_KINDS.changeRejected,
        actor: actor.name,
        subject: subjectOf(id),
        data: { changeId: id, status, comment: note, diff: change.diff },
      });
      return mustFind(tx, id);
    });
  }

  adoptCommittedVersion(version: number, config: Config): boolean {
    if (version <= this.#live.version) return false;
    this.#swapLive(config, version);
    return true;
  }

  /** Called after the version is committed; the data plane swap is synchronous and all-or-nothing. */
  #swapLive(config: Config, version: number): void {
    // Versions only move forward here: an older apply finishing late must not undo a newer one.
    if (version <= this.#live.version) return;
    this.#options.applyLive(config, version);
    this.#live = { version, config };
  }

  /**
   * The data plane refused a committed version (applyLive threw): record the config that is still
   * running as the next version and mark the change failed, so the store says what the node serves.
   */
  async #undoFailedApply(change: ChangeRequest, actor: Actor, failedVersion: number, error: unknown): Promise<never> {
    const id = change.id;
    const message = error instanceof Error ? error.message : String(error);
    const running = this.#live;
    const restored = await this.#options.store.transaction(async (tx) => {
      await lockStoreForWrite(tx);
      const version = await recordConfigVersion(tx, {
        author: 'node',
        source: change.source,
        reason: `change ${id} could not be applied (${message}); version ${running.version}'s config stays live`,
        config: running.config,
        configYaml: (await getConfigVersion(tx, running.version))?.configYaml ?? null,
        parentVersion: failedVersion,
      });
      await updateChangeStatus(tx, id, 'failed', this.#now());
      await appendEvent(tx, {
        kind: EVENT_KINDS.changeFailed,
        actor: actor.name,
        subject: subjectOf(id),
        data: { changeId: id, status: 'failed', failedVersion, restoredVersion: version.version, error: message },
      });
      return version;
    });
    this.#live = { version: restored.version, config: running.config };
    throw new ChangeError('EK_CHANGE_APPLY_FAILED', `change ${id} was not applied: the node refused it (${message}); version ${restored.version} records the config that stays live`, { changeId: id, cause: error });
  }

  async #latest(session: StoreSession): Promise<ConfigVersion> {
    const latest = await latestConfigVersion(session);
    if (latest === undefined) throw new ChangeError('EK_CHANGE_NO_LIVE_CONFIG', 'the store holds no config version; restart the node so that its config file becomes version 1');
    return latest;
  }

  async #authorTokenId(session: StoreSession, id: number): Promise<string | null> {
    const row = await session.db.selectFrom('change_requests').select('author_token_id').where('id', '=', id).executeTakeFirst();
    return row?.author_token_id ?? null;
  }

  async #yamlOf(session: StoreSession, id: number): Promise<string | null> {
    const row = await session.db.selectFrom('change_requests').select('proposed_config_yaml').where('id', '=', id).executeTakeFirst();
    return row?.proposed_config_yaml ?? null;
  }
}

/** Marks the changes a rollback undoes (applied after the version it restores) rolled_back. */
async function markRolledBack(tx: StoreSession, actor: Actor, rollbackId: number, toVersion: number, at: number): Promise<void> {
  const undone = await tx.db
    .selectFrom('change_requests')
    .select(['id', 'applied_version', 'diff_json'])
    .where('status', '=', 'applied')
    .where('applied_version', '>', toVersion)
    .where('id', '!=', rollbackId)
    .orderBy('id', 'asc')
    .execute();
  for (const row of undone) {
    const changeId = Number(row.id);
    await updateChangeStatus(tx, changeId, 'rolled_back', at);
    await appendEvent(tx, {
      kind: EVENT_KINDS.changeRolledBack,
      actor: actor.name,
      subject: subjectOf(changeId),
      data: { changeId, status: 'rolled_back', byChange: rollbackId, toVersion, appliedVersion: row.applied_version, diff: row.diff_json === null ? [] : (JSON.parse(row.diff_json) as unknown) },
    });
  }
}

async function mustFind(session: StoreSession, id: number): Promise<ChangeRequest> {
  if (!Number.isSafeInteger(id) || id < 1) throw new ChangeError('EK_CHANGE_NOT_FOUND', `change ${String(id)} does not exist; change ids are whole numbers from 1 (see evenkeel change list)`);
  const change = await findChange(session, id);
  if (change === undefined) throw new ChangeError('EK_CHANGE_NOT_FOUND', `change ${id} does not exist; see evenkeel change list`, { changeId: id });
  return change;
}

function checkReason(reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (text === '') throw new ChangeError('EK_CHANGE_INVALID', 'a change needs a reason: say why, such as --reason "web-3 is back from maintenance"');
  if (text.length > MAX_REASON_LENGTH) throw new ChangeError('EK_CHANGE_INVALID', `the reason is ${text.length} characters; keep it under ${MAX_REASON_LENGTH} and link to details`);
  return text;
}

/** An automation token's changes are always source automation; source file belongs to the node alone. */
function sourceOf(actor: Actor, source: ChangeSource): ChangeSource {
  if (actor.role === 'automation') return 'automation';
  if (!(CHANGE_SOURCES as readonly string[]).includes(source)) {
    throw new ChangeError('EK_CHANGE_INVALID', `source "${String(source)}" is not one of ${CHANGE_SOURCES.join(', ')}`);
  }
  if (source === 'file' && actor.tokenId !== 'file') {
    throw new ChangeError('EK_CHANGE_INVALID', 'source "file" is reserved for the node\'s own config file; use api, cli or dashboard');
  }
  return source;
}

function authorRoleOf(actor: Actor): ChangeRequest['authorRole'] {
  return isNodeActor(actor) ? (actor.tokenId as 'file' | 'node') : actor.role;
}

function subjectOf(id: number): string {
  return `change:${id}`;
}

function proposedEventData(changeId: number, record: NewChangeRecord) {
  return {
    changeId,
    status: record.status,
    source: record.source,
    reason: record.reason,
    baseVersion: record.baseVersion,
    rollbackOf: record.rollbackOf,
    diff: record.diff,
    isFlagged: record.isFlagged,
    needsApproval: record.needsApproval,
    flags: record.simulation?.flags ?? [],
    findings: record.findings,
  };
}

function staleBase(id: number | undefined, baseVersion: number | null, liveVersion: number): ChangeError {
  const what = id === undefined ? 'this change was prepared' : `change ${id} was proposed`;
  return new ChangeError(
    'EK_CHANGE_STALE_BASE',
    `${what} against version ${String(baseVersion)} but version ${liveVersion} is live now: re-propose against version ${liveVersion}`,
    id === undefined ? undefined : { changeId: id },
  );
}

function notApplicable(change: ChangeRequest): ChangeError {
  const why =
    change.status === 'proposed'
      ? `change ${change.id} waits for approval by an approver who is not its author`
      : `change ${change.id} is ${change.status}; only an approved change (or a proposed one that needs no approval) can be applied`;
  return new ChangeError('EK_CHANGE_STATE', why, { changeId: change.id });
}

function asWarning(finding: ChangeFinding): ChangeFinding {
  return finding.severity === 'error' ? { ...finding, severity: 'warning' } : finding;
}
