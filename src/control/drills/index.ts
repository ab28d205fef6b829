// Drill runs in the store: recorded with their audit event, listed, read back, and their history
// with the trend of each figure (issue 6).
export {
  recordDrillRun,
  listDrillRuns,
  getDrillRun,
  DEFAULT_DRILL_RUN_LIMIT,
  MAX_DRILL_RUN_LIMIT,
  DRILL_EVENT_ACTOR,
  type RecordableDrillResult,
  type DrillRunSummary,
  type DrillRun,
  type DrillRunQuery,
} from './drill-runs.js';
export { drillHistory, figureTrends, compareFigure, DRILL_FIGURES, type DrillFigureName, type DrillTrend, type DrillFigureTrend, type ScenarioDrillHistory } from './drill-history.js';
