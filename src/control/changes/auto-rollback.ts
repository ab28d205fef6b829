import { PLAUSIBLE_CAUSE_SCORE, type Alert, type AlertAction, type Cause } from '../../monitor/index.js';
import { policyOf } from '../policy/index.js';
import type { StoreSession } from '../store/index.js';
import type { Actor, ChangeRequest } from './change-request.js';
import type { ChangeService } from './change-service.js';

// Automatic rollback (docs/monitoring.md, "Automatic rollback"): when a skew, latency or error alert
// fires and its diagnosis ranks a recent config change as the most likely cause, the node undoes that
// change itself instead of waiting for someone to read the alert. The postmortem's outage ran 2h45
// because the script's weights stayed live while people chased a traffic spike; here the way back is
// taken within seconds of the alert, through the same change path a person would use, so the audit
// log shows the rollback as a change by "monitor" whose reason names the alert.
//
// Who may do it: the live config's policy.auto_rollback (enabled, rules, exclude_pools, window). The
// monitor acts as a node actor (token id "node", like the config file's "file"), which is how the
// change service already tells the node's own changes from a token's: a node actor's rollback applies
// at once, because the policy that authorized it was itself approved as part of the live config.

/** The node's monitor acting on policy.auto_rollback. Not a token: no API caller can be it. */
export const MONITOR_ACTOR: Actor = { name: 'monitor', role: 'admin', tokenId: 'node' };

export type AutoRollbackDecision =
  | { readonly kind: 'rolled_back'; readonly rollback: ChangeRequest; readonly action: AlertAction }
  | { readonly kind: 'skipped'; readonly reason: string };

export interface AutoRollbackOptions {
  readonly changes: ChangeService;
  /** Where config versions are read (their times and parents). */
  readonly store: StoreSession;
  readonly now?: () => number;
}

/** How far back the live version's ancestry is followed to find the change's version. */
const MAX_ANCESTRY_STEPS = 1000;
const MAX_REASON_LENGTH = 1900;

/**
 * Decides, for each firing alert, whether to roll back the change its diagnosis blames, and does it.
 *
 * It rolls back only when all hold:
 * - policy.auto_rollback is enabled, lists the alert's rule, and does not exclude its pool;
 * - the top-ranked cause is a config_change the diagnosis scores as plausible (PLAUSIBLE_CAUSE_SCORE:
 *   its diff moved the alert's pool the way the alert shows), naming a change that is still `applied`, whose version
 *   was created no longer than policy.auto_rollback.window before the alert fired;
 * - the live version is that change's version or a later one descending from it (following
 *   parent_version), so the config still contains it; a change already undone (status rolled_back,
 *   by a person or by this node) is never rolled back again;
 * - this node has not rolled that change back before (remembered in memory too, so two alerts firing
 *   in the same tick for the same change make one rollback).
 * The rollback restores the change's base version, which also undoes any later change on top of it
 * (they are marked rolled_back by the change service, and the action's summary says so).
 */
export class AutoRollback {
  readonly #options: AutoRollbackOptions;
  readonly #now: () => number;
  /** Change ids this node has rolled back (or is rolling back). */
  readonly #handled = new Set<number>();

  constructor(options: AutoRollbackOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async consider(alert: Alert): Promise<AutoRollbackDecision> {
    if (alert.state !== 'firing') return skip(`alert ${alert.fingerprint} is ${alert.state}, not firing`);
    const { changes, store } = this.#options;
    const policy = policyOf(changes.liveConfig()).auto_rollback;
    if (!policy.enabled) return skip('policy.auto_rollback.enabled is false');
    if (!(policy.rules as readonly string[]).includes(alert.rule)) return skip(`rule ${alert.rule} is not in policy.auto_rollback.rules`);
    if (alert.pool !== undefined && policy.exclude_pools.includes(alert.pool)) return skip(`pool ${alert.pool} is in policy.auto_rollback.exclude_pools`);
    const cause = topCause(alert.causes);
    if (cause === undefined || cause.kind !== 'config_change' || cause.changeId === undefined) {
      return skip(`the most likely cause is ${cause === undefined ? 'unknown' : cause.kind === 'config_change' ? 'a change without an id' : `not a config change (${cause.kind})`}`);
    }
    const changeId = cause.changeId;
    if (cause.score < PLAUSIBLE_CAUSE_SCORE) {
      return skip(`change ${changeId} only happened before the alert (score ${cause.score} < ${PLAUSIBLE_CAUSE_SCORE}); its diff does not explain it`);
    }
    if (this.#handled.has(changeId)) return skip(`change ${changeId} was already rolled back by this node`);
    const change = await changes.get(changeId);
    if (change.status !== 'applied' || change.appliedVersion === null) return skip(`change ${changeId} is ${change.status}, not applied`);
    if (change.rollbackOf !== null) return skip(`change ${changeId} is itself a rollback; a person decides what comes next`);
    if (change.baseVersion === null) return skip(`change ${changeId} has no base version to return to`);
    const applied = await versionRow(store, change.appliedVersion);
    const firedAt = alert.firingAt ?? this.#now();
    if (applied === undefined) return skip(`version ${change.appliedVersion} of change ${changeId} is not in the store`);
    if (firedAt - applied.createdAt > policy.window) {
      return skip(`change ${changeId} was applied ${Math.round((firedAt - applied.createdAt) / 1000)} s before the alert fired, outside policy.auto_rollback.window (${Math.round(policy.window / 1000)} s)`);
    }
    const liveVersion = changes.liveVersion();
    if (!(await descendsFrom(store, liveVersion, change.appliedVersion))) {
      return skip(`the live version ${liveVersion} does not descend from version ${change.appliedVersion} of change ${changeId}`);
    }

    this.#handled.add(changeId);
    const later = liveVersion - change.appliedVersion;
    const reason = truncate(
      `automatic rollback (policy.auto_rollback): alert ${alert.fingerprint} fired: ${alert.summary}` +
        // The summary names its likely cause already, unless that cause was ranked below another.
        (cause.summary !== '' && alert.summary.includes(cause.summary) ? '' : ` Most likely cause: ${cause.summary === '' ? `change ${changeId}` : cause.summary}.`),
    );
    const rollback = await changes.rollback(MONITOR_ACTOR, { toVersion: change.baseVersion, reason, source: 'automation' });
    const restoredAs = rollback.appliedVersion === null ? '' : ` as version ${rollback.appliedVersion}`;
    const alsoUndone = later > 0 ? `, undoing ${later} later version${later === 1 ? '' : 's'} too` : '';
    const action: AlertAction = {
      kind: 'rollback',
      at: this.#now(),
      summary: `rolled back change ${changeId}: version ${change.baseVersion} restored${restoredAs} (change ${rollback.id})${alsoUndone}`,
      changeId,
      rollbackChangeId: rollback.id,
    };
    return { kind: 'rolled_back', rollback, action };
  }
}

/** The highest-scored cause (the diagnosis ranks them; a tie keeps the first). */
function topCause(causes: readonly Cause[]): Cause | undefined {
  let best: Cause | undefined;
  for (const cause of causes) if (best === undefined || cause.score > best.score) best = cause;
  return best;
}

interface VersionRow {
  version: number;
  parentVersion: number | null;
  createdAt: number;
}

async function versionRow(store: StoreSession, version: number): Promise<VersionRow | undefined> {
  const row = await store.db.selectFrom('config_versions').select(['version', 'parent_version', 'created_at']).where('version', '=', version).executeTakeFirst();
  return row === undefined ? undefined : { version: Number(row.version), parentVersion: row.parent_version === null ? null : Number(row.parent_version), createdAt: Number(row.created_at) };
}

/** True when `ancestor` is `version` or found by following parent_version back from it. */
async function descendsFrom(store: StoreSession, version: number, ancestor: number): Promise<boolean> {
  let current: number | null = version;
  for (let step = 0; step < MAX_ANCESTRY_STEPS && current !== null && current >= ancestor; step++) {
    if (current === ancestor) return true;
    current = (await versionRow(store, current))?.parentVersion ?? null;
  }
  return false;
}

function truncate(text: string): string {
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

function skip(reason: string): AutoRollbackDecision {
  return { kind: 'skipped', reason };
}
