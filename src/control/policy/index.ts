// Policy: who may propose, approve and apply changes, which changes wait for approval, and the
// guardrails that refuse a change outright (docs/changes.md, "Changes, approvals and policy").
export {
  policyOf,
  isNodeActor,
  assertMayPropose,
  assertMayDecide,
  assertMayApply,
  mayApplyDirectly,
  isApprovalRequired,
  type Policy,
} from './policy.js';
export { evaluateGuardrails, GUARDRAIL_RULES, type BackendHealthView } from './guardrails.js';
export { restartOnlyFindings, policyChangeFindings, RESTART_ONLY_FIELDS, RESTART_ONLY_RULE, POLICY_CHANGE_RULE } from './restart-only.js';
