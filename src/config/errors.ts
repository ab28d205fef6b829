/** One problem in a config file, located by line and column (1-based; 0 when the file could not be read). */
export interface ConfigIssue {
  /** The file name as it was given (usually relative), so messages match what the user typed. */
  file: string;
  line: number;
  column: number;
  /** Field path such as "pools.portal.backends[2].weight"; empty for YAML syntax and file errors. */
  path: string;
  /** What was expected and what was got. */
  message: string;
}

export type ConfigErrorCode = 'EK_CONFIG_INVALID' | 'EK_CONFIG_UNREADABLE';

/** Formats one issue as "file:line:column path: message", the form editors and terminals link. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : `${issue.file}:`;
  return issue.path === '' ? `${where} ${issue.message}` : `${where} ${issue.path}: ${issue.message}`;
}

/**
 * A config file that cannot be used. The message lists every issue, one per line, so that a
 * rejected reload and `evenkeel config check` print exactly the same text.
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[], code: ConfigErrorCode = 'EK_CONFIG_INVALID') {
    super(issues.map(formatConfigIssue).join('\n'));
    this.name = 'ConfigError';
    this.code = code;
    this.issues = issues;
  }
}
