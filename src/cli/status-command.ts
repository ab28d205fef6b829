import { setTimeout as delay } from 'node:timers/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { BackendStats, LiveStats } from '../admin/index.js';
import type { Alert } from '../monitor/index.js';
import { AdminApiError, AdminUnreachableError, type AdminClient } from './admin-client.js';
import { ADMIN_HELP, adminAction, printJson, processContext, type AdminContext, type AdminOutput } from './admin-command.js';
import { formatTable, isoTime, percent } from './table.js';

// `evenkeel status`: the operator's view during an incident. The postmortem's team needed 45 minutes
// to see that two of five servers carried 80% of the traffic; this table shows it on one screen,
// expected share next to observed share, with the monitor's diagnosis of every firing alert under it.

const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 200;
/** A backend is marked when it gets this many times its expected share (the skew rule's default floor). */
const OVER_SERVED_RATIO = 1.5;
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** `evenkeel status [--once] [--json] [--interval 1s]`. */
export function registerStatusCommand(program: Command, context: AdminContext = processContext): void {
  const { output } = context;
  program
    .command('status')
    .description("Show a running node's pools and backends (health, weight, expected and observed share, rps, p95, pinned) and its firing alerts, refreshed live.")
    .option('--once', 'print one snapshot and exit')
    .option('--json', 'print the snapshot as JSON (with --once: one document; without: one line per refresh)')
    .option('--interval <duration>', 'time between refreshes, such as 1s or 500ms', parseInterval, DEFAULT_INTERVAL_MS)
    .option('--admin <url>', 'admin API URL (default $EVENKEEL_ADMIN or http://127.0.0.1:9090)')
    .option('--token-file <path>', 'read the bearer token from this file instead of $EVENKEEL_TOKEN')
    .addHelpText('after', `
Examples:
  $ evenkeel status                      live table, refreshed every second (Ctrl-C to leave)
  $ evenkeel status --interval 5s
  $ evenkeel status --once --json | jq '.alerts[].summary'

Columns: HEALTH (healthy, unhealthy, draining), WEIGHT (effective weight), EXPECTED (its share of the
pool's healthy weight), OBSERVED (its share of the pool's requests over the last 10 s; "!" marks
${OVER_SERVED_RATIO}x its expected share or more), RPS, P95, PINNED (share of its requests that
persistence pinned to it). Firing alerts follow, each with the monitor's diagnosis.
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const intervalMs = (options.interval as number | undefined) ?? DEFAULT_INTERVAL_MS;
        const api = client();
        const sample = () => api.get<LiveStats>('/api/v1/stats');
        if (options.once === true) {
          const stats = await sample();
          if (options.json === true) printJson(output, stats);
          else output.out(renderStatus(stats, api.baseUrl));
          return 0;
        }
        await refreshUntilInterrupted(output, api, sample, intervalMs, options.json === true);
        return 0;
      }),
    );
}

/** The live mode: redraws every interval until Ctrl-C; a failed sample is shown and retried. */
async function refreshUntilInterrupted(output: AdminOutput, api: AdminClient, sample: () => Promise<LiveStats>, intervalMs: number, isJson: boolean): Promise<void> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const isTerminal = process.stdout.isTTY === true;
  try {
    // The first sample is not caught: a wrong token or an unreachable node at start is an exit code.
    const first = await sample();
    let next: () => Promise<LiveStats> | LiveStats = () => first;
    while (!stop.signal.aborted) {
      let text: string;
      try {
        const stats = await next();
        text = isJson ? `${JSON.stringify(stats)}\n` : renderStatus(stats, api.baseUrl);
      } catch (error) {
        // Later, the node restarting or a network blip is shown and retried: the view stays open.
        if (!(error instanceof AdminUnreachableError || error instanceof AdminApiError)) throw error;
        text = `${isoTime(Date.now())}  ${error.message}; retrying every ${formatInterval(intervalMs)}\n`;
      }
      next = sample;
      output.out(isJson || !isTerminal ? text : CLEAR_SCREEN + text);
      await delay(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The table per pool and the firing alerts, as text. */
export function renderStatus(stats: LiveStats, adminUrl: string): string {
  const lines: string[] = [];
  lines.push(`evenkeel status  ${isoTime(stats.at)}  ${adminUrl}  (last ${stats.windowSeconds} s)`);
  const { rps, baselineRps } = stats.traffic;
  lines.push(`Traffic: ${formatRate(rps)} rps${baselineRps === null ? ' (baseline warming up)' : ` (baseline ${formatRate(baselineRps)} rps)`}`);
  for (const pool of stats.pools) {
    lines.push('', `pool ${pool.pool}`);
    const rows = pool.backends.map((backend) => backendRow(backend));
    lines.push(formatTable(['BACKEND', 'HEALTH', 'WEIGHT', 'EXPECTED', 'OBSERVED', 'RPS', 'P95', 'PINNED'], rows).trimEnd());
  }
  lines.push('');
  if (stats.alerts.length === 0) {
    lines.push('No firing alerts.');
  } else {
    lines.push(`Firing alerts (${stats.alerts.length}):`);
    for (const alert of stats.alerts) lines.push(...alertLines(alert));
  }
  return `${lines.join('\n')}\n`;
}

function backendRow(backend: BackendStats): string[] {
  const isOverServed = backend.expectedShare > 0 ? backend.observedShare >= OVER_SERVED_RATIO * backend.expectedShare && backend.requests > 0 : backend.requests > 0;
  return [
    backend.backend,
    backend.health,
    String(backend.effectiveWeight),
    percent(backend.expectedShare),
    `${percent(backend.observedShare)}${isOverServed ? ' !' : ''}`,
    backend.rps.toFixed(1),
    backend.requests === 0 ? '-' : `${Math.round(backend.p95Ms)} ms`,
    backend.requests === 0 ? '-' : percent(backend.pinnedShare),
  ];
}

function alertLines(alert: Alert): string[] {
  const where = [alert.pool, alert.backend].filter((part) => part !== undefined).join('/');
  const since = isoTime(alert.firingAt ?? alert.startedAt);
  const lines = [`  ${alert.severity.toUpperCase()} ${alert.rule}${where === '' ? '' : ` ${where}`}, firing since ${since}`, `    ${alert.summary}`];
  // The lifecycle adds the action to the summary too; print it on its own line only when it does not.
  for (const action of alert.actions) if (!alert.summary.toLowerCase().includes(action.summary.toLowerCase())) lines.push(`    Action: ${action.summary}`);
  return lines;
}

function formatRate(rps: number): string {
  return rps.toLocaleString('en-US', { maximumFractionDigits: rps < 10 ? 1 : 0 });
}

function formatInterval(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** "1s", "500ms", "2m" -> milliseconds, at least MIN_INTERVAL_MS. */
export function parseInterval(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  if (match === null) throw new InvalidArgumentError(`expected a duration such as 1s, 500ms or 1m, got ${JSON.stringify(value)}`);
  const ms = Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000);
  if (ms < MIN_INTERVAL_MS) throw new InvalidArgumentError(`an interval of ${value} is too short; use ${MIN_INTERVAL_MS}ms or more`);
  return ms;
}
