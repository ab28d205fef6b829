export { sharedSecret } from './shared-secrets.js';
export {
  HEARTBEAT_INTERVAL_MS,
  STALE_AFTER_MS,
  GONE_AFTER_MS,
  MONITOR_LOCK_CLASS,
  recordNodeHeartbeat,
  removeNode,
  nodeStateOf,
  listFleetNodes,
  type FleetNode,
  type FleetNodeState,
  type NodeHeartbeat,
} from './node-records.js';
export { recordTelemetrySnapshot, pruneTelemetrySnapshots, SNAPSHOT_RETENTION_MS } from './telemetry-snapshots.js';
export {
  recordTelemetrySeconds,
  readTelemetrySeconds,
  pruneTelemetrySeconds,
  recordMonitorLockPid,
  TELEMETRY_SECONDS_RETENTION_MS,
  type PublishedSecond,
} from './telemetry-seconds.js';
