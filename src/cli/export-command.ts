import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { ConfigError, loadConfigFile, monitorSchema, parseDurationMs, type MonitorConfig } from '../config/index.js';
import { DEFAULT_SCRAPE_INTERVAL_MS, buildPrometheusRules, prometheusRulesYaml } from '../monitor/index.js';
import { EXIT_INVALID, type CommandOutput } from './config-command.js';

const processOutput: CommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface ExportPrometheusRulesOptions {
  /** The config whose `monitor:` thresholds the rules use; without it, the documented defaults. */
  readonly config?: string;
  /** Where to write; standard output when absent. */
  readonly output?: string;
  readonly scrapeIntervalMs?: number;
}

/** `evenkeel export prometheus-rules`. */
export function registerExportCommands(program: Command): void {
  const exportCommand = program
    .command('export')
    .description('Write files other tools read, derived from evenkeel and its config.')
    .addHelpText('after', `
Example:
  evenkeel export prometheus-rules --config evenkeel.yaml --output evenkeel-rules.yml`);

  exportCommand
    .command('prometheus-rules')
    .description(
      "Write Prometheus alerting rules equivalent to evenkeel's built-in monitor rules (skew, in-flight skew, latency, relative latency, errors, capacity, flapping, traffic spike and drop) over evenkeel's /metrics, with the thresholds and `for` durations of the config's monitor: section.",
    )
    .option('-c, --config <file>', 'the YAML config whose monitor: section sets the thresholds (checked as `evenkeel config check` does); default: the documented defaults')
    .option('-o, --output <file>', 'write the rules here instead of standard output')
    .option('--scrape-interval <duration>', "Prometheus' scrape interval for evenkeel; no rate() range is shorter than 4 scrapes (default: 15s)", parseScrapeInterval)
    .addHelpText('after', `
Examples:
  $ evenkeel export prometheus-rules --config evenkeel.yaml --output /etc/prometheus/rules/evenkeel.yml
  wrote 14 alerting rules to /etc/prometheus/rules/evenkeel.yml
  $ promtool check rules /etc/prometheus/rules/evenkeel.yml

Then list the file under rule_files: in prometheus.yml. The alert names (EvenkeelSkew, EvenkeelLatency,
...) are those evenkeel itself sends to Alertmanager. The G-test of the skew rule and persistence key
concentration cannot be written in PromQL: see docs/monitoring.md#delivery for every difference.

Exit status: 0 written, 2 invalid or unreadable config, or the output cannot be written.`)
    .action((options: { config?: string; output?: string; scrapeInterval?: number }) => {
      process.exitCode = runExportPrometheusRules({ config: options.config, output: options.output, scrapeIntervalMs: options.scrapeInterval });
    });
}

/** Writes the rules; returns the exit code (0, or 2 with the reason on stderr). */
export function runExportPrometheusRules(options: ExportPrometheusRulesOptions, output: CommandOutput = processOutput): number {
  let monitor: MonitorConfig;
  try {
    monitor = options.config === undefined ? monitorSchema.parse({}) : loadConfigFile(options.config).monitor;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.err(`${error.message}\n`);
    return EXIT_INVALID;
  }
  const ruleOptions = { scrapeIntervalMs: options.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS };
  const text = prometheusRulesYaml(monitor, ruleOptions);
  if (options.output === undefined) {
    output.out(text);
    return 0;
  }
  try {
    writeFileSync(options.output, text);
  } catch (error) {
    output.err(`cannot write ${options.output}: ${(error as Error).message}\n`);
    return EXIT_INVALID;
  }
  const count = buildPrometheusRules(monitor, ruleOptions).groups.reduce((sum, group) => sum + group.rules.length, 0);
  output.err(`wrote ${count} alerting rules to ${options.output}\n`);
  return 0;
}

function parseScrapeInterval(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 1000) throw new InvalidArgumentError('expected a duration of at least 1s, such as "15s" or "1m"');
  return ms;
}
