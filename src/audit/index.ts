// The audit/ room: configuration standards. Readers turn evenkeel, NGINX and HAProxy configs into one
// model (model.ts); rules with stable ids judge it against a standards file. Other rooms import only
// from here.
export * from './model.js';
export * from './finding.js';
export { readEvenkeelConfig, readEvenkeelText, auditEvenkeelConfig } from './readers/evenkeel-reader.js';
export { detectConfigKind } from './detect-kind.js';
export { AUDIT_RULES, RULES, helpUriOf, type AuditRule, type RuleDescription, type RuleHit, type Thresholds } from './rules/index.js';
export { standardsSchema, loadStandards, parseStandardsText, DEFAULT_STANDARDS, StandardsError, type Standards, type RequiredSetting } from './standards.js';
export { auditConfig, applyStandards } from './run-audit.js';
export { formatText, summaryLine } from './formats/text.js';
export { formatJson, toJsonReport, type JsonReport } from './formats/json.js';
export { formatSarif, EVENKEEL_INFORMATION_URI } from './formats/sarif.js';
export { reportPath, evenkeelVersion, type ReportOptions } from './formats/report-paths.js';
export { readNginxConfig, readNginxText } from './readers/nginx-reader.js';
export { readHaproxyConfig, readHaproxyText } from './readers/haproxy-reader.js';
