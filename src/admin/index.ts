// The admin/ room: the Fastify admin API. Other rooms import only from here.
export { startAdminServer, type AdminServer, type AdminServerOptions } from './server.js';
export { describePools, SHARE_WINDOW_SECONDS, type AdminPoolSource, type BackendStatus, type PoolStatus, type PoolsStatus } from './pools-view.js';
export { AdminError, type AdminErrorCode } from './errors.js';
export { collectAlerts, type AdminMonitorSource } from './alert-routes.js';
export type { LiveStats, BackendStats } from './stats-view.js';
export type { FleetStatus, AdminFleetSource } from './fleet-routes.js';
export { DrillRequestError, type AdminDrillSource, type AdminDrillStatus, type AdminDrillScenario, type DrillRequestErrorCode } from './drill-routes.js';
