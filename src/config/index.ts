// The config room: the zod schema, YAML loading with file:line:column errors, and the JSON Schema.
export * from './schema.js';
export { loadConfigFile, parseConfigText, formatPath, DEFAULT_PERSISTENCE_COOKIE } from './loader.js';
export { ConfigError, formatConfigIssue, type ConfigIssue, type ConfigErrorCode } from './errors.js';
export { configJsonSchema } from './json-schema.js';
export { parseDurationMs, formatDurationMs, parseSizeBytes, splitListenAddress } from './units.js';
export { describeBackendUrlProblem } from './backend-url.js';
export { describeConfigChanges } from './config-diff.js';
export * from './monitor-schema.js';
export type { PolicyConfig, GuardrailsConfig, AutoRollbackConfig } from './policy-schema.js';
export { REDACTED_SECRET, redactConfigSecrets, redactYamlSecrets, restoreRedactedSecrets } from './secrets.js';
export { withConfigDefaults } from './stored-config.js';
export { locatePath, positionOfOffset } from './source-position.js';
export { defaultIssueMessage, toPathIssues, type PathIssue } from './issue-messages.js';
export { duration } from './units.js';
export { policySchema } from './policy-schema.js';
