import { pathToFileURL } from 'node:url';
import type { AuditFinding } from '../finding.js';
import type { ReadProblem, SourcePosition } from '../model.js';
import type { RuleDescription } from '../rules/index.js';
import { evenkeelVersion, reportUri, type ReportOptions } from './report-paths.js';

// SARIF 2.1.0, so findings show in code-scanning tools (GitHub code scanning, Azure DevOps, IDE
// viewers) next to the line of the config that carries the risk. A test validates this output
// against the SARIF 2.1.0 JSON schema. Read problems are tool execution notifications: the file
// was not judged, which is not a result about the config.

export const EVENKEEL_INFORMATION_URI = 'https://evenkeel.dev/';
const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
const SOURCE_ROOT = 'SRCROOT';

/** The SARIF log of one audit run: every rule described, every finding a result. */
export function formatSarif(findings: readonly AuditFinding[], rules: readonly RuleDescription[], problems: readonly ReadProblem[], options: ReportOptions = {}): object {
  const cwd = options.cwd ?? process.cwd();
  const descriptors = [...rules.map(ruleDescriptor), ...requiredSettingDescriptors(findings, rules)];
  const indexById = new Map(descriptors.map((descriptor, index) => [descriptor.id, index]));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'evenkeel', version: evenkeelVersion(), informationUri: EVENKEEL_INFORMATION_URI, rules: descriptors } },
        originalUriBaseIds: { [SOURCE_ROOT]: { uri: pathToFileURL(cwd.endsWith('/') ? cwd : `${cwd}/`).href } },
        invocations: [
          {
            executionSuccessful: problems.length === 0,
            toolExecutionNotifications: problems.map((problem) => ({ level: 'error', message: { text: problem.message }, locations: [location(problem.at, cwd)] })),
          },
        ],
        results: findings.map((finding) => ({
          ruleId: finding.ruleId,
          ruleIndex: indexById.get(finding.ruleId),
          level: finding.severity,
          message: {
            text: finding.hint === '' ? finding.message : `${finding.message}\nFix: ${finding.hint}`,
            markdown: finding.hint === '' ? finding.message : `${finding.message}\n\n**Fix:** ${finding.hint}`,
          },
          locations: [location(finding.at, cwd)],
          properties: { hint: finding.hint, configKind: finding.kind },
        })),
      },
    ],
  };
}

function ruleDescriptor(rule: RuleDescription) {
  return {
    id: rule.id,
    name: rule.name,
    shortDescription: { text: rule.summary },
    // helpUri must be an absolute URI; the rules name their page relative to the repository root.
    helpUri: new URL(rule.helpUri, EVENKEEL_INFORMATION_URI).href,
    defaultConfiguration: { level: rule.defaultSeverity },
  };
}

/** A team's required settings (standards file) have ids of their own, described from their first finding. */
function requiredSettingDescriptors(findings: readonly AuditFinding[], rules: readonly RuleDescription[]) {
  const known = new Set(rules.map((rule) => rule.id));
  const added = new Map<string, AuditFinding>();
  for (const finding of findings) if (!known.has(finding.ruleId) && !added.has(finding.ruleId)) added.set(finding.ruleId, finding);
  return [...added.values()].map((finding) => ({
    id: finding.ruleId,
    name: 'RequiredSetting',
    shortDescription: { text: `A setting the standards file requires: ${finding.hint}` },
    defaultConfiguration: { level: finding.severity },
  }));
}

function location(at: SourcePosition, cwd: string) {
  const { uri, isRelative } = reportUri(at.file, cwd);
  const artifactLocation = isRelative ? { uri, uriBaseId: SOURCE_ROOT } : { uri };
  // Line 0 means the file as a whole (it could not be opened): SARIF regions start at line 1.
  if (at.line < 1) return { physicalLocation: { artifactLocation } };
  return { physicalLocation: { artifactLocation, region: { startLine: at.line, startColumn: Math.max(at.column, 1) } } };
}
