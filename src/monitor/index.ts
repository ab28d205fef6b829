// The monitor/ room: rules evaluated every tick on telemetry windows, the alert lifecycle, the
// diagnosis sentence, and delivery to webhooks and Alertmanager. Other rooms import only from here.
export * from './alert.js';
export { AlertLifecycle, RESOLVE_AFTER_ABSENT_TICKS, RECENT_RESOLVED_LIMIT, type AlertLifecycleOptions } from './alert-lifecycle.js';
export { diagnose, describeAlert, rankCauses, localTime, DEFAULT_LOOK_BACK_MS, PLAUSIBLE_CAUSE_SCORE, type Diagnosis, type DiagnoseInput, type DescribeInput, type TrafficLevel } from './diagnosis.js';
export * from './notifiers/index.js';
export { evaluateRules, RuleState, type MonitorInput, type MonitoredPool } from './evaluate-rules.js';
export { gTest, type GTestResult } from './g-test.js';
export { chiSquareSurvival, regularizedUpperGamma } from './chi-square.js';
export { expectedSharesOf } from './expected-shares.js';
export { POOL_FAILURE_CODES } from './rules/error-rule.js';
export { Monitor, type MonitorLogger, type MonitorOptions } from './monitor.js';
export { buildPrometheusRules, prometheusRulesYaml, DEFAULT_SCRAPE_INTERVAL_MS, type PrometheusAlertingRule, type PrometheusRuleFile, type PrometheusRulesOptions } from './prometheus-rules.js';
