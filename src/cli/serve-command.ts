import type { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { createNodeLogger, startNode } from '../node/index.js';

interface ServeFlags {
  watch: boolean;
  accessLog: boolean;
  workers?: string;
}

/** `evenkeel serve FILE`: runs a node until SIGTERM or SIGINT, then drains and exits 0. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the load balancer: proxy listeners, health checks, metrics and the admin API.')
    .argument('<file>', 'the YAML config file (see docs/configuration.md)')
    .option('-w, --watch', 're-read the config file whenever it changes (SIGHUP always re-reads it)', false)
    .option('--access-log', 'write a structured JSON access log line per request to standard output', false)
    .option('--workers <n>', 'worker processes sharing the listening port ("auto" = one per core); overrides the config')
    .addHelpText(
      'after',
      `
Reloading: SIGHUP (or --watch) re-reads FILE. An invalid file is rejected with file:line:column
errors and the running config stays live; a valid one is swapped atomically.
Stopping: SIGTERM or SIGINT stops accepting, finishes in-flight requests for up to
proxy.drain_timeout, then exits 0.

Example:
  evenkeel serve examples/demo.yaml --watch`,
    )
    .action(async (file: string, flags: ServeFlags) => {
      process.exitCode = await serve(file, flags);
    });
}

async function serve(file: string, flags: ServeFlags): Promise<number> {
  const logger = createNodeLogger();
  let workers: number | 'auto' | undefined;
  if (flags.workers !== undefined) {
    workers = flags.workers === 'auto' ? 'auto' : Number(flags.workers);
    if (workers !== 'auto' && (!Number.isInteger(workers) || workers < 1)) {
      console.error(`--workers: expected a whole number of at least 1 or "auto", got ${JSON.stringify(flags.workers)}`);
      return 2;
    }
  }
  let node;
  try {
    node = await startNode({ configPath: file, watch: flags.watch, accessLog: flags.accessLog, workers }, logger);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    console.error(`evenkeel: could not start: ${message}`);
    return 1;
  }
  const banner = [
    `evenkeel is running (${node.workers} worker${node.workers === 1 ? '' : 's'}, pid ${process.pid})`,
    ...node.proxyUrls.map((url) => `  proxy:     ${url}`),
    `  dashboard: ${node.adminUrl}/dashboard/  (sign in with an admin API token)`,
    `  metrics:   ${node.adminUrl}/metrics`,
    `  pools:     ${node.adminUrl}/api/v1/pools  (admin API: needs a token, see the first-start message or docs/admin-api.md)`,
    `  reload:    kill -HUP ${process.pid}${flags.watch ? ' (or edit the file: --watch is on)' : ''}`,
  ];
  process.stdout.write(`${banner.join('\n')}\n`);
  const drainMs = node.control.config.proxy.drain_timeout;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal, drainMs }, 'stopping: no new connections, finishing in-flight requests');
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve();
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  await node.stop(drainMs);
  logger.info('stopped');
  // Idle keep-alive sockets or a slow upstream must not keep a stopped node alive.
  setTimeout(() => process.exit(0), 200).unref();
  return 0;
}
