import type { Config } from '../../config/index.js';
import type { ChangeFinding } from '../changes/change-request.js';
import { canonicalJson } from '../events/index.js';
import type { ChangeSource } from '../store/index.js';
import { policyOf } from './policy.js';

/**
 * Settings a running node cannot change: its listeners, its worker processes, its store, the demo
 * upstreams it started. A change that edits them is refused, except from the node's config file,
 * where the edit is recorded (as a note) and takes effect at the next restart: whoever edits the file
 * is about to restart the node, and refusing would leave the file and the store disagreeing forever.
 */
export const RESTART_ONLY_FIELDS = ['listen', 'admin.listen', 'workers', 'store.url', 'demo'] as const;

export const RESTART_ONLY_RULE = 'change.restart_only';
export const POLICY_CHANGE_RULE = 'change.policy';

export function restartOnlyFindings(live: Config, proposed: Config, source: ChangeSource): ChangeFinding[] {
  const findings: ChangeFinding[] = [];
  for (const field of RESTART_ONLY_FIELDS) {
    const before = show(read(live, field));
    const after = show(read(proposed, field));
    if (before === after) continue;
    findings.push(
      source === 'file'
        ? { rule: RESTART_ONLY_RULE, severity: 'note', message: `${field} ${before} -> ${after} takes effect when the node restarts; until then it keeps ${before}` }
        : { rule: RESTART_ONLY_RULE, severity: 'error', message: `${field} ${before} -> ${after} cannot change while the node runs: edit the config file and restart the node, or leave ${field} as it is` },
    );
  }
  return findings;
}

/**
 * A change to the `policy:` section itself is judged by the live policy, and wants a human look
 * (a warning, so it waits for an approver) unless it comes from the node's own config file.
 */
export function policyChangeFindings(live: Config, proposed: Config, source: ChangeSource): ChangeFinding[] {
  if (show(policyOf(live)) === show(policyOf(proposed))) return [];
  return [
    source === 'file'
      ? { rule: POLICY_CHANGE_RULE, severity: 'note', message: 'the policy section changes; the new policy judges the changes after this one' }
      : { rule: POLICY_CHANGE_RULE, severity: 'warning', message: 'the policy section changes: an approver who is not the author must approve it; the new policy judges the changes after this one' },
  ];
}

function read(config: Config, field: string): unknown {
  let value: unknown = config;
  for (const key of field.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : canonicalJson(value);
}
