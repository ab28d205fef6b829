// Alerts in the store and the audit log: each lifecycle transition recorded with its event, the
// alerts listed for the admin API, and recent events read back for the monitor's diagnosis.
export {
  recordAlertTransition,
  updateAlertRecord,
  listAlerts,
  plainJson,
  MONITOR_EVENT_ACTOR,
  DEFAULT_ALERT_LIMIT,
  MAX_ALERT_LIMIT,
  type AlertQuery,
} from './alert-records.js';
export { recentContextEvents } from './context-events.js';
