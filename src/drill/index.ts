// The drill room: synthetic backends with a capacity model and session-aware traffic, used by
// bench/detect.js today and by drills (fault injection, drill reports) later.
export { CapacityBackend, type BackendCounts, type CapacityBackendOptions, type CapacityModel, type ServiceTime } from './capacity-backend.js';
export { SessionTraffic, type SessionTrafficOptions } from './session-traffic.js';
export { SessionJar } from './session-jar.js';
export { TrafficStats, type FailureReason, type LatencySummary, type TrafficSnapshot } from './traffic-stats.js';
export { seededRandom, logNormalSampler, normalDraw, type Random } from './seeded-random.js';
export { zipfSampler, zipfShares } from './zipf-sampler.js';
export { DrillError, type DrillErrorCode } from './errors.js';
export { renderDrillReportMarkdown, writeDrillReport, incidentReportFile, DRILL_REPORT_MARKDOWN, DRILL_REPORT_JSON } from './drill-report.js';
export { DRILL_PHASES, type DrillPhase, type DrillProgress, type DrillFigures, type DrillTargetResult, type DrillTimelineEntry, type DrillEvent, type DrillResult } from './drill-result.js';
export { runDrill, type RunDrillOptions } from './drill-runner.js';
export { scenarioSchema, type Scenario, type ScenarioFault, type ScenarioMitigation } from './scenario-schema.js';
export { loadScenarioFile, parseScenarioText, ScenarioError } from './load-scenario.js';
export { BUILTIN_SCENARIO_DIR, listBuiltinScenarios, loadScenario, resolveScenarioFile, scenarioText, type BuiltinScenario } from './builtin-scenarios.js';
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
