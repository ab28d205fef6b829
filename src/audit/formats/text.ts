import type { AuditFinding } from '../finding.js';
import type { ReadProblem } from '../model.js';
import { countBySeverity, countFiles, plural, reportPath, type ReportOptions } from './report-paths.js';

// Compiler-style output, so editors and terminals make every line a link to the offending directive:
//   haproxy.cfg:42:5: error EK101 backend app: `cookie SRV insert` pins clients with no load bound
//       fix: add `hash-balance-factor 125` to backend app
// Read problems (`error syntax` at a position, `error read` for a file that could not be opened) come first (the file was not judged), then findings in file, line, column order.

/** Findings with their fix hints, read problems as `error syntax`, and a summary line. */
export function formatText(findings: readonly AuditFinding[], problems: readonly ReadProblem[], options: ReportOptions = {}): string {
  const lines: string[] = [];
  for (const problem of problems) {
    // A problem with a position is in the text; one without is the file itself (missing, unknown kind).
    lines.push(`${position(problem.at, options)}: error ${problem.at.line > 0 ? 'syntax' : 'read'} ${problem.message}`);
  }
  for (const finding of findings) {
    lines.push(`${position(finding.at, options)}: ${finding.severity} ${finding.ruleId} ${finding.message}`);
    if (finding.hint !== '') lines.push(`    fix: ${finding.hint}`);
  }
  lines.push(summaryLine(findings, problems, options));
  return `${lines.join('\n')}\n`;
}

/** "3 files audited: 2 errors, 1 warning, 0 notes" (and ", 1 file could not be read" when so). */
export function summaryLine(findings: readonly AuditFinding[], problems: readonly ReadProblem[], options: ReportOptions = {}): string {
  const counts = countBySeverity(findings);
  const files = countFiles(findings, problems, options);
  const unread = new Set(problems.map((problem) => problem.at.file)).size;
  const problemText = problems.length === 0 ? '' : `; ${plural(problems.length, 'problem')} reading ${plural(unread, 'file')}`;
  return `${plural(files, 'file')} audited: ${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${plural(counts.note, 'note')}${problemText}`;
}

function position(at: { file: string; line: number; column: number }, options: ReportOptions): string {
  const file = reportPath(at.file, options.cwd);
  // Line 0 is "the file as a whole" (it could not be opened): no line or column to jump to.
  return at.line > 0 ? `${file}:${at.line}:${Math.max(at.column, 1)}` : file;
}
