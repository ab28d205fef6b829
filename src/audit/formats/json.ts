import type { AuditFinding } from '../finding.js';
import type { ReadProblem } from '../model.js';
import { countBySeverity, countFiles, evenkeelVersion, reportPath, type ReportOptions } from './report-paths.js';

// `--format json`: one document for scripts. Field names are part of the interface: add fields,
// never rename them (version says which shape this is).

export interface JsonReport {
  readonly version: 1;
  readonly tool: { readonly name: 'evenkeel'; readonly version: string };
  readonly summary: { readonly files: number; readonly errors: number; readonly warnings: number; readonly notes: number; readonly problems: number };
  readonly findings: ReadonlyArray<{
    readonly ruleId: string;
    readonly severity: AuditFinding['severity'];
    readonly message: string;
    readonly hint: string;
    readonly kind: AuditFinding['kind'];
    readonly file: string;
    readonly line: number;
    readonly column: number;
  }>;
  readonly problems: ReadonlyArray<{ readonly message: string; readonly file: string; readonly line: number; readonly column: number }>;
}

export function toJsonReport(findings: readonly AuditFinding[], problems: readonly ReadProblem[], options: ReportOptions = {}): JsonReport {
  const counts = countBySeverity(findings);
  return {
    version: 1,
    tool: { name: 'evenkeel', version: evenkeelVersion() },
    summary: { files: countFiles(findings, problems, options), errors: counts.error, warnings: counts.warning, notes: counts.note, problems: problems.length },
    findings: findings.map((finding) => ({
      ruleId: finding.ruleId,
      severity: finding.severity,
      message: finding.message,
      hint: finding.hint,
      kind: finding.kind,
      file: reportPath(finding.at.file, options.cwd),
      line: finding.at.line,
      column: finding.at.column,
    })),
    problems: problems.map((problem) => ({ message: problem.message, file: reportPath(problem.at.file, options.cwd), line: problem.at.line, column: problem.at.column })),
  };
}

/** The JSON report, indented, with a final newline. */
export function formatJson(findings: readonly AuditFinding[], problems: readonly ReadProblem[], options: ReportOptions = {}): string {
  return `${JSON.stringify(toJsonReport(findings, problems, options), null, 2)}\n`;
}
