import type { Command } from 'commander';
import { ConfigError, configJsonSchema, loadConfigFile, type Config } from '../config/index.js';

/** Where a config command writes; the CLI passes standard output and error, tests pass collectors. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CommandOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Exit code of `config check` for a file that is missing or invalid, as for bad CLI usage. */
export const EXIT_INVALID = 2;

/** `evenkeel config check FILE...` and `evenkeel config schema`. */
export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('Check a config file, or print the JSON Schema that editors use to complete it.')
    .addHelpText(
      'after',
      `
Examples:
  evenkeel config check evenkeel.yaml
  evenkeel config schema > evenkeel.schema.json

See docs/configuration.md for every key, its default and its meaning.`,
    );

  config
    .command('check')
    .description('Validate config files without starting anything. Prints "FILE: ok (...)" and exits 0 when every file is valid; prints every problem as FILE:LINE:COLUMN PATH: MESSAGE and exits 2 otherwise (also when a file is missing).')
    .argument('<file...>', 'YAML config files to check')
    .addHelpText(
      'after',
      `
Examples:
  $ evenkeel config check evenkeel.yaml
  evenkeel.yaml: ok (2 pools, 5 backends, 3 routes)

  $ evenkeel config check broken.yaml
  broken.yaml:14:9 pools.portal.backends[2].weight: expected a whole number from 0 to 10000, got -5
  broken.yaml:7:5 pools.portal.algoritm: unknown key; did you mean "algorithm"?

Exit status: 0 valid, 2 invalid or unreadable. The same messages appear when a running node
rejects a reload (SIGHUP or --watch) and keeps its current config.`,
    )
    .action((files: string[]) => {
      process.exitCode = runConfigCheck(files);
    });

  config
    .command('schema')
    .description('Print the JSON Schema (draft 2020-12) of the config file, so editors can complete and check it as you type.')
    .addHelpText(
      'after',
      `
Example (VS Code with the YAML extension, or any yaml-language-server editor):
  $ evenkeel config schema > evenkeel.schema.json
  then put this first line in evenkeel.yaml:
  # yaml-language-server: $schema=./evenkeel.schema.json`,
    )
    .action(() => {
      process.exitCode = runConfigSchema();
    });
}

/** Checks each file; returns 0 when all are valid, 2 when any is missing or invalid. */
export function runConfigCheck(files: readonly string[], output: CommandOutput = processOutput): number {
  let exitCode = 0;
  for (const file of files) {
    let config: Config;
    try {
      config = loadConfigFile(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      output.err(`${error.message}\n`);
      exitCode = EXIT_INVALID;
      continue;
    }
    output.out(`${file}: ok (${summarize(config)})\n`);
  }
  return exitCode;
}

/** Prints the JSON Schema; returns the exit code. */
export function runConfigSchema(output: CommandOutput = processOutput): number {
  output.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  return 0;
}

function summarize(config: Config): string {
  const pools = Object.values(config.pools);
  const backends = pools.reduce((count, pool) => count + pool.backends.length, 0);
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${plural(pools.length, 'pool')}, ${plural(backends, 'backend')}, ${plural(config.routes.length, 'route')}`;
}
