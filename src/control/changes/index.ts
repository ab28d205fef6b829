// Change requests: propose, approve or reject, apply, roll back; each step durable and in the audit log.
export { createChangeService, GUARDRAIL_ACTOR } from './create-change-service.js';
export type { ChangeService, ChangeServiceOptions, ChangeListFilter, RollbackOptions } from './change-service.js';
export type {
  Actor,
  ChangeApproval,
  ChangeFinding,
  ChangeRequest,
  ImpactSimulation,
  ProposeChange,
  SimulatedBackendShare,
  SimulatedPool,
} from './change-request.js';
export { AutoRollback, MONITOR_ACTOR, type AutoRollbackDecision, type AutoRollbackOptions } from './auto-rollback.js';
