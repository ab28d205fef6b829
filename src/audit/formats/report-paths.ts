import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageVersion } from '../../package-root.js';
import { SEVERITIES, type AuditFinding, type Severity } from '../finding.js';
import type { ReadProblem } from '../model.js';

// What every output format shares: how a file is named in a report (relative to the working
// directory, forward slashes, so a report reads the same on every machine and in code scanning),
// the counts of the summary, and evenkeel's version.

/** Options every format accepts; tests pass a fixed working directory. */
export interface ReportOptions {
  /** Directory the report's paths are relative to; default process.cwd(). */
  readonly cwd?: string;
  /** How many config files were read (includes not counted); default: the distinct files named. */
  readonly fileCount?: number;
}

/** "conf/haproxy.cfg" for a file under the working directory, the absolute path (forward slashes) otherwise. */
export function reportPath(file: string, cwd: string = process.cwd()): string {
  const absolute = resolve(cwd, file);
  const inside = relative(cwd, absolute);
  if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside.split(sep).join('/');
  return absolute.split(sep).join('/');
}

/** A URI reference for SARIF: relative to the working directory when inside it, a file: URL otherwise. */
export function reportUri(file: string, cwd: string = process.cwd()): { uri: string; isRelative: boolean } {
  const path = reportPath(file, cwd);
  if (!path.startsWith('/') && !/^[A-Za-z]:\//.test(path)) return { uri: path.split('/').map(encodeURIComponent).join('/'), isRelative: true };
  return { uri: pathToFileURL(resolve(cwd, file)).href, isRelative: false };
}

export type SeverityCounts = Record<Severity, number>;

export function countBySeverity(findings: readonly AuditFinding[]): SeverityCounts {
  const counts: SeverityCounts = { error: 0, warning: 0, note: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/** The number of distinct files the findings and problems name, when the caller does not say. */
export function countFiles(findings: readonly AuditFinding[], problems: readonly ReadProblem[], options: ReportOptions): number {
  if (options.fileCount !== undefined) return options.fileCount;
  return new Set([...findings.map((finding) => finding.at.file), ...problems.map((problem) => problem.at.file)]).size;
}

/** "2 errors", "1 warning", "0 notes". */
export function plural(count: number, severity: Severity | 'problem' | 'file'): string {
  return `${count} ${severity}${count === 1 ? '' : 's'}`;
}

export { SEVERITIES };

/** evenkeel's version, from its package.json. */
export function evenkeelVersion(): string {
  try {
    return packageVersion();
  } catch {
    // Copied without its package.json: a report without the right version beats no report.
    return '0.0.0';
  }
}
