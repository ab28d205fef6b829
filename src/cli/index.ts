import { Command, CommanderError } from 'commander';
import { registerConfigCommands } from './config-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerChangeCommands } from './change-command.js';
import { registerEventsCommands } from './events-command.js';
import { registerTokenCommands } from './token-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerExportCommands } from './export-command.js';
import { registerAuditCommand } from './audit-command.js';
import { registerIncidentCommands } from './incident-command.js';
import { registerDrillCommands } from './drill-command.js';
import { registerFleetCommands } from './fleet-command.js';
import { releaseYoungGeneration } from '../node/heap-budget.js';
import { packageVersion } from '../package-root.js';

/** Builds the `evenkeel` command tree; every subcommand has --help. */
export function buildProgram(): Command {
  const program = new Command('evenkeel')
    .description('An HTTP load balancer that keeps traffic on an even keel and proves it.')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();
  // bin/evenkeel.js held V8's young generation small while the modules loaded; serve bounds it
  // (node/heap-budget.ts), every other command gets V8's default growth back.
  program.hook('preAction', (_program, command) => {
    if (command.name() !== 'serve') releaseYoungGeneration();
  });
  registerServeCommand(program);
  registerConfigCommands(program);
  registerChangeCommands(program);
  registerTokenCommands(program);
  registerEventsCommands(program);
  registerStatusCommand(program);
  registerExportCommands(program);
  registerAuditCommand(program);
  registerIncidentCommands(program);
  registerDrillCommands(program);
  registerFleetCommands(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code (serve resolves only when the node stops). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
}
