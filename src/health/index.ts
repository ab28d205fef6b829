// The health/ room: active checks, passive outlier ejection, slow start and panic mode. The only
// writer of BackendState.isHealthy / effectiveWeight and PoolMembers.isPanicking. Other rooms import
// only from here.
export { HealthCoordinator, type HealthCoordinatorOptions, type HealthPoolInput } from './coordinator.js';
export { ActiveChecker, PROBE_USER_AGENT, type ActiveCheckerOptions, type ProbeTarget } from './active-checker.js';
export { OutlierDetector, ejectionDurationMs } from './outlier-detector.js';
export { PassiveTracker } from './passive-tracker.js';
export { applyHealth, snapshotHealth, type HealthSnapshot, type PoolHealthSnapshot, type BackendHealthSnapshot } from './health-snapshot.js';
export { healthyWeightShare, shouldPanic } from './panic.js';
export { slowStartFactor, SLOW_START_MIN_SHARE } from './slow-start.js';
export { parseStatusRange, isExpectedStatus, type StatusRange } from './status-range.js';
export { HealthConfigError, type HealthErrorCode } from './errors.js';
export { WHOLE_POOL, type HealthEvent, type HealthEventKind } from './health-event.js';
export type { OutcomeObserver } from './outcome-observer.js';
