// Incidents (issue 6): opened and joined as alerts fire, resolved when they resolve, milestones marked
// by people and by the node, the impact counted from telemetry, and the postmortem draft.
export {
  INCIDENT_MILESTONES,
  incidentDurations,
  type Incident,
  type IncidentDurations,
  type IncidentImpact,
  type IncidentMilestone,
  type MilestoneEntry,
  type MilestoneMark,
} from './incident.js';
export { IncidentError, INCIDENT_ERROR_STATUS, type IncidentErrorCode } from './incident-errors.js';
export {
  openOrJoinIncident,
  markMilestone,
  alertResolved,
  resolveOrphanedIncident,
  addImpact,
  listIncidents,
  getIncident,
  emptyImpact,
  NODE_WIDE_POOL,
  MARKABLE_MILESTONES,
  INCIDENT_MONITOR_ACTOR,
  MITIGATED_BY_RESOLVE_NOTE,
  DEFAULT_INCIDENT_LIMIT,
  MAX_INCIDENT_LIMIT,
  type MarkableMilestone,
  type IncidentQuery,
  type ImpactDelta,
} from './incident-records.js';
export {
  buildIncidentReport,
  DEFAULT_REPORT_MARGIN_MS,
  MAX_TIMELINE_EVENTS,
  type IncidentReport,
  type IncidentReportOptions,
  type ReportSummary,
  type ReportImpact,
  type ReportBackendImpact,
  type ReportDetection,
  type ReportAlert,
  type ReportMark,
  type ReportResolution,
  type ReportRollback,
  type TimelineEntry,
  type HumanSections,
  type RootCauseCandidate,
  type ReportTrigger,
} from './incident-report.js';
export { renderIncidentReportMarkdown } from './report-markdown.js';
/** Durations as people say them (4.2 s, 1 min 58 s, 2 h 45 min), as the report writes them. */
export { formatDuration as formatIncidentDuration } from './report-format.js';
