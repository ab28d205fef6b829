import { readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  DEFAULT_STANDARDS,
  RULES,
  SEVERITIES,
  StandardsError,
  auditConfig,
  detectConfigKind,
  formatJson,
  formatSarif,
  formatText,
  isAtLeast,
  loadStandards,
  readEvenkeelConfig,
  readHaproxyConfig,
  readNginxConfig,
  type AuditFinding,
  type AuditedConfig,
  type ConfigKind,
  type ReadProblem,
  type Severity,
  type Standards,
} from '../audit/index.js';
import type { CommandOutput } from './config-command.js';

// `evenkeel audit`: the first contact many teams have with evenkeel, pointed at the NGINX or HAProxy
// config they already run. It reads each file with the reader of its kind, judges it against the
// rules and the team's standards, and prints what carries the postmortem's risks, with a fix per line.

export const AUDIT_EXIT_CLEAN = 0;
export const AUDIT_EXIT_FINDINGS = 1;
/** A file, include or standards file that could not be read, or a config with syntax errors: not judged, so not clean. */
export const AUDIT_EXIT_UNREADABLE = 2;

export const AUDIT_FORMATS = ['text', 'json', 'sarif'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];
const KINDS: readonly ConfigKind[] = ['evenkeel', 'nginx', 'haproxy'];

/** A reader of one kind: the main file, and how to read it and its includes. Never throws. */
export type ConfigReader = (file: string, readFile: (path: string) => string) => AuditedConfig;
export type ConfigReaders = Readonly<Record<ConfigKind, ConfigReader>>;

export interface AuditOptions {
  readonly standards?: string;
  readonly format: AuditFormat;
  readonly failOn: Severity;
  readonly kind?: ConfigKind;
  readonly output?: string;
}

const processOutput: CommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

const DEFAULT_READERS: ConfigReaders = { evenkeel: readEvenkeelConfig, nginx: readNginxConfig, haproxy: readHaproxyConfig };

/** `evenkeel audit FILE... [--standards F] [--format text|json|sarif] [--fail-on S] [--kind K] [--output F]`. */
export function registerAuditCommand(program: Command, output: CommandOutput = processOutput): void {
  program
    .command('audit')
    .description('Audit evenkeel, NGINX and HAProxy configs against the rules of docs/audit-rules.md and your written standards: unbounded persistence, source-IP affinity, skewed weights, missing health checks, timeouts and retries, exposed admin interfaces.')
    .argument('<file...>', 'config files: evenkeel YAML, nginx.conf (includes are followed), haproxy.cfg')
    .option('--standards <file>', "your team's standards (YAML): rules on or off, severities, thresholds, required settings")
    .addOption(new Option('--format <format>', 'report format').choices(AUDIT_FORMATS).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(SEVERITIES).default('error'))
    .addOption(new Option('--kind <kind>', 'read every file as this kind instead of detecting it').choices(KINDS))
    .option('--output <file>', 'write the report to this file instead of standard output')
    .addHelpText(
      'after',
      `
Examples:
  $ cd /etc/haproxy && evenkeel audit haproxy.cfg
  haproxy.cfg:18:5: error EK101 backend portal: hashing on \`source\` has no load bound, so a popular key or a big NAT sends its whole share to one server
      fix: add \`hash-balance-factor 125\` to the backend (HAProxy 1.9+), which bounds every server at 125% of the average load
  ...
  1 file audited: 2 errors, 4 warnings, 1 note

  $ evenkeel audit /etc/nginx/nginx.conf --fail-on warning
  $ evenkeel audit evenkeel.yaml nginx.conf --standards standards.yaml
  $ evenkeel audit site.conf --kind nginx --format json | jq '.findings[].ruleId'
  $ evenkeel audit haproxy.cfg --format sarif --output audit.sarif    (for code scanning)

The kind of each file is detected from its content and name; --kind overrides it.
Exit status: 0 nothing at or above --fail-on (default error), 1 something is,
2 unreadable input: a missing file, an unknown kind, a syntax error in a config or an include,
or an invalid standards file (reported with file:line:column; a file that could not be read
was not judged, so the run is not clean).
Rules and the standards file: docs/audit-rules.md.`,
    )
    .action((files: string[], options: AuditOptions) => {
      process.exitCode = runAudit(files, options, output);
    });
}

/** Audits the files and writes the report; resolves to the exit code. */
export function runAudit(files: readonly string[], options: AuditOptions, output: CommandOutput = processOutput, readers: ConfigReaders = DEFAULT_READERS): number {
  let standards: Standards = DEFAULT_STANDARDS;
  if (options.standards !== undefined) {
    try {
      standards = loadStandards(options.standards);
    } catch (error) {
      if (!(error instanceof StandardsError)) throw error;
      output.err(formatText([], error.problems).split('\n').slice(0, -2).map((line) => `${line.replace(/: error (syntax|read) /, ': error standards ')}\n`).join(''));
      output.err('the standards file is invalid; nothing was audited\n');
      return AUDIT_EXIT_UNREADABLE;
    }
  }

  const findings: AuditFinding[] = [];
  const problems: ReadProblem[] = [];
  for (const file of files) {
    const config = readOne(file, options.kind, readers);
    problems.push(...config.problems);
    // A config with read problems is still judged for what could be read (an NGINX include that is
    // missing does not hide the risks of the main file); the exit code says it was not all read.
    findings.push(...auditConfig(config, standards));
  }

  const reportOptions = { fileCount: files.length };
  const report =
    options.format === 'json'
      ? formatJson(findings, problems, reportOptions)
      : options.format === 'sarif'
        ? `${JSON.stringify(formatSarif(findings, RULES, problems, reportOptions), null, 2)}\n`
        : formatText(findings, problems, reportOptions);
  if (options.output === undefined) {
    output.out(report);
  } else {
    try {
      writeFileSync(options.output, report);
    } catch (error) {
      output.err(`cannot write the report to ${options.output}: ${error instanceof Error ? error.message : String(error)}\n`);
      return AUDIT_EXIT_UNREADABLE;
    }
  }

  if (problems.length > 0) return AUDIT_EXIT_UNREADABLE;
  return findings.some((finding) => isAtLeast(finding.severity, options.failOn)) ? AUDIT_EXIT_FINDINGS : AUDIT_EXIT_CLEAN;
}

/** One file through the reader of its kind; a missing file or an unknown kind is a read problem. */
function readOne(file: string, givenKind: ConfigKind | undefined, readers: ConfigReaders): AuditedConfig {
  const unread = (kind: ConfigKind, message: string): AuditedConfig => ({ kind, file, files: [file], pools: [], admin: [], settings: [], problems: [{ message, at: { file, line: 0, column: 0 } }] });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return unread(givenKind ?? 'evenkeel', code === 'ENOENT' ? 'cannot read the config file: no such file' : `cannot read the config file: ${error instanceof Error ? error.message : String(error)}`);
  }
  const kind = givenKind ?? detectConfigKind(file, text);
  if (kind === undefined) return unread('evenkeel', 'cannot tell whether this is an evenkeel, NGINX or HAProxy config; give --kind evenkeel|nginx|haproxy');
  // The main file was read once already; includes are read as the reader finds them.
  return readers[kind](file, (path) => (path === file ? text : readFileSync(path, 'utf8')));
}
