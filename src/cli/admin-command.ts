import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { AdminApiError, AdminClient, AdminUnreachableError } from './admin-client.js';

// Shared by every command that talks to a running node's admin API: the options, where the token
// comes from, and how errors become exit codes (0 ok, 1 refused or failed by the server, 2 bad
// usage or an unreachable node).

export const DEFAULT_ADMIN_URL = 'http://127.0.0.1:9090';
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

/** Where admin commands write; the CLI passes standard output and error, tests pass collectors. */
export interface AdminOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: AdminOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export interface AdminCommandOptions {
  admin?: string;
  tokenFile?: string;
  json?: boolean;
}

/** Bad usage found after parsing (no token, a bad --since): exit 2. */
export class UsageError extends Error {}

export const ADMIN_HELP = `
Connection (every command that talks to a node):
  --admin URL         admin API of the node (default $EVENKEEL_ADMIN or ${DEFAULT_ADMIN_URL})
  token               $EVENKEEL_TOKEN, or --token-file PATH (first line); there is no --token
                      flag so a token never lands in shell history or the process list
  --json              machine-readable output
Exit status: 0 ok, 1 refused or failed by the server (its message printed as is),
             2 bad usage, no token, or the node cannot be reached.`;

/** Adds --admin, --token-file and --json to a command that talks to the admin API. */
export function withAdminOptions(command: Command): Command {
  return command
    .option('--admin <url>', `admin API URL (default $EVENKEEL_ADMIN or ${DEFAULT_ADMIN_URL})`)
    .option('--token-file <path>', 'read the bearer token from this file instead of $EVENKEEL_TOKEN')
    .option('--json', 'print JSON for scripts instead of tables');
}

/** Resolves --admin / $EVENKEEL_ADMIN and --token-file / $EVENKEEL_TOKEN into a client. */
export function adminClient(options: AdminCommandOptions, env: NodeJS.ProcessEnv = process.env, requireToken = true): AdminClient {
  const baseUrl = options.admin ?? env.EVENKEEL_ADMIN ?? DEFAULT_ADMIN_URL;
  if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`--admin must be an http:// or https:// URL, got ${JSON.stringify(baseUrl)}`);
  let token: string | null = null;
  if (options.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.tokenFile, 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --token-file ${options.tokenFile}: ${(error as Error).message}`);
    }
    token = text.split(/\r?\n/)[0]!.trim();
    if (token === '') throw new UsageError(`--token-file ${options.tokenFile} is empty`);
  } else if (env.EVENKEEL_TOKEN !== undefined && env.EVENKEEL_TOKEN.trim() !== '') {
    token = env.EVENKEEL_TOKEN.trim();
  }
  if (token === null && requireToken) {
    throw new UsageError('no admin token: set $EVENKEEL_TOKEN or pass --token-file PATH (the node prints the bootstrap admin token on its first start)');
  }
  return new AdminClient({ baseUrl, token });
}

/** Runs an admin command body and maps what went wrong to an exit code and a message on stderr. */
export async function runAdmin(output: AdminOutput, body: () => Promise<number | void>): Promise<number> {
  try {
    return (await body()) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof AdminApiError) {
      output.err(`${error.message}\n`);
      const findings = (error.body as { findings?: { severity: string; rule: string; message: string }[] } | null)?.findings;
      if (Array.isArray(findings)) for (const f of findings) output.err(`  ${f.severity} ${f.rule}: ${f.message}\n`);
      return EXIT_REFUSED;
    }
    if (error instanceof AdminUnreachableError || error instanceof UsageError) {
      output.err(`${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** The merged options of a subcommand and its parents (so --admin works before or after the verb). */
export function allOptions<T extends AdminCommandOptions>(command: Command): T {
  return command.optsWithGlobals<T>();
}

export function printJson(output: AdminOutput, value: unknown): void {
  output.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** What admin commands need from their surroundings; the CLI uses the process, tests pass their own. */
export interface AdminContext {
  readonly output: AdminOutput;
  readonly env: NodeJS.ProcessEnv;
  setExitCode(code: number): void;
}

export const processContext: AdminContext = {
  output: processOutput,
  env: process.env,
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** An action that talks to the admin API: resolves the client, runs `body`, sets the exit code. */
export function adminAction<A extends unknown[]>(
  context: AdminContext,
  body: (client: () => AdminClient, options: AdminCommandOptions & Record<string, unknown>, ...args: A) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const options = allOptions<AdminCommandOptions & Record<string, unknown>>(command);
    const positional = args.slice(0, -2) as A;
    const code = await runAdmin(context.output, () => body(() => adminClient(options, context.env), options, ...positional));
    context.setExitCode(code);
  };
}
