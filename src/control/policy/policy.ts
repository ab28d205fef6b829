import { withConfigDefaults, type Config } from '../../config/index.js';
import { ChangeError } from '../errors.js';
import type { ChangeSource } from '../store/index.js';
import type { Actor } from '../changes/change-request.js';

/** The `policy:` section with every default filled in. */
export type Policy = Config['policy'];

/** Roles that apply changes (an approved one, one that needs no approval, a rollback). Not configurable. */
const APPLY_ROLES: ReadonlySet<string> = new Set(['operator', 'approver', 'admin']);

/**
 * The policy in force: the LIVE config's, never the proposed one's, so a change cannot loosen the
 * rules it is judged by. A version stored before the policy section existed gets the defaults.
 */
export function policyOf(config: Config | { policy?: unknown }): Policy {
  return withConfigDefaults(config).policy;
}

/** True for the node's own actors (config file reloads, start-up), which are not tokens. */
export function isNodeActor(actor: Actor): boolean {
  return actor.tokenId === 'file' || actor.tokenId === 'node';
}

/** Throws EK_CHANGE_FORBIDDEN unless policy.propose_roles lets the actor propose. */
export function assertMayPropose(policy: Policy, actor: Actor): void {
  if (isNodeActor(actor)) return;
  if (!policy.propose_roles.includes(actor.role)) {
    throw new ChangeError(
      'EK_CHANGE_FORBIDDEN',
      `refused: role ${actor.role} may not propose changes; policy.propose_roles allows ${listOrNone(policy.propose_roles)}`,
    );
  }
}

/**
 * Throws unless the actor may approve or reject change `changeId`: the author never
 * (EK_CHANGE_SELF_APPROVAL), automation never, a role outside policy.approve_roles never (both
 * EK_CHANGE_APPROVER_ROLE): the two-person rule, enforced here rather than in a client.
 */
export function assertMayDecide(
  policy: Policy,
  actor: Actor,
  change: { id: number; author: string; authorTokenId: string | null },
  decision: 'approve' | 'reject',
): void {
  // The author first: "you proposed it" is the answer that tells them what to do.
  const isAuthor = (change.authorTokenId !== null && change.authorTokenId === actor.tokenId) || change.author === actor.name;
  if (isAuthor) {
    throw new ChangeError('EK_CHANGE_SELF_APPROVAL', `refused: you proposed change ${change.id}; a different approver must ${decision} it`, { changeId: change.id });
  }
  if (actor.role === 'automation') {
    throw new ChangeError('EK_CHANGE_APPROVER_ROLE', `refused: automation tokens can never ${decision} changes; change ${change.id} needs a human approver (role ${listOrNone(policy.approve_roles)})`, { changeId: change.id });
  }
  if (!policy.approve_roles.includes(actor.role)) {
    throw new ChangeError('EK_CHANGE_APPROVER_ROLE', `refused: role ${actor.role} may not ${decision} changes; policy.approve_roles allows ${listOrNone(policy.approve_roles)}`, { changeId: change.id });
  }
}

/** Throws EK_CHANGE_FORBIDDEN unless the actor's role applies changes (operator, approver, admin, the node). */
export function assertMayApply(actor: Actor, what: string): void {
  if (isNodeActor(actor) || APPLY_ROLES.has(actor.role)) return;
  throw new ChangeError('EK_CHANGE_FORBIDDEN', `refused: role ${actor.role} may not ${what}; an operator, approver or admin must do it`);
}

/** True when the actor may apply without a second person (a rollback from a human operator, say). */
export function mayApplyDirectly(actor: Actor): boolean {
  return isNodeActor(actor) || APPLY_ROLES.has(actor.role);
}

/**
 * Whether a change waits for an approver: always from automation (the postmortem's script), always
 * when flagged (by the simulation or a warning), and for the sources policy.require_approval lists.
 */
export function isApprovalRequired(policy: Policy, source: ChangeSource, actor: Actor, isFlagged: boolean): boolean {
  if (source === 'automation' || actor.role === 'automation') return true;
  if (isFlagged) return true;
  return policy.require_approval.includes(source);
}

function listOrNone(roles: readonly string[]): string {
  return roles.length === 0 ? 'no role' : roles.join(', ');
}
