import { InvalidArgumentError, type Command } from 'commander';
import { openStore, verifyEvents, type AuditEvent, type EventVerification } from '../control/index.js';
import { ADMIN_HELP, adminAction, EXIT_REFUSED, printJson, processContext, UsageError, withAdminOptions, type AdminContext, type AdminOutput } from './admin-command.js';
import { parseWholeNumber } from './change-command.js';
import { formatTable, isoTime } from './table.js';

type ApiVerification = { ok: true; count: number } | { ok: false; firstBadSeq: number; problem: string; reason?: string };

/** `evenkeel events list|verify`: read and check the tamper-evident audit log. */
export function registerEventsCommands(program: Command, context: AdminContext = processContext): void {
  const { output } = context;
  const events = program
    .command('events')
    .description('Read the audit log of a node, and verify its hash chain.')
    .addHelpText('after', `
Examples:
  evenkeel events list --since 1h --kind change.applied
  evenkeel events verify
  evenkeel events verify --store sqlite://./data/evenkeel.db
${ADMIN_HELP}`);

  withAdminOptions(events.command('list'))
    .description('List audit events, oldest first, filtered by time, kind and actor.')
    .option('--since <when>', 'from this time: a duration back from now (30s, 10m, 2h, 1d) or an ISO 8601 time', (v: string) => parseWhen(v))
    .option('--until <when>', 'up to this time (same forms as --since)', (v: string) => parseWhen(v))
    .option('--kind <kind>', 'only this kind (change.proposed, change.applied, token.created, ...)')
    .option('--actor <name>', 'only events by this actor (a token name)')
    .option('--limit <n>', 'at most this many', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel events list --since 10m --actor weights.sh
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const list = await client().get<AuditEvent[]>('/api/v1/events', {
          since: options.since as number | undefined,
          until: options.until as number | undefined,
          kind: options.kind as string | undefined,
          actor: options.actor as string | undefined,
          limit: options.limit as number | undefined,
        });
        if (options.json === true) return printJson(output, list);
        if (list.length === 0) return output.out('no events\n');
        output.out(formatTable(['SEQ', 'TIME', 'KIND', 'ACTOR', 'SUBJECT'], list.map((e) => [String(e.seq), isoTime(e.at), e.kind, e.actor, e.subject])));
      }),
    );

  withAdminOptions(events.command('verify'))
    .description('Check the audit log hash chain; exits 1 naming the first edited, deleted or reordered row.')
    .option('--store <url>', 'check a store directly (sqlite://PATH or postgres://...) instead of asking a running node')
    .addHelpText('after', `
Examples:
  $ evenkeel events verify
  audit log intact: 42 events
  $ evenkeel events verify --store sqlite://./data/evenkeel.db
  audit log broken at event 7 (edited): ...
Exit status: 0 intact, 1 broken, 2 unreachable node or store.
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        let result: ApiVerification;
        if (typeof options.store === 'string') {
          const local = await verifyStore(options.store);
          result = local.ok ? local : { ok: false, firstBadSeq: local.firstBadSeq, problem: local.detail, reason: local.reason };
        } else {
          result = await client().get<ApiVerification>('/api/v1/events/verify');
        }
        if (options.json === true) printJson(output, result);
        else printVerification(output, result);
        return result.ok ? 0 : EXIT_REFUSED;
      }),
    );
}

async function verifyStore(url: string): Promise<EventVerification> {
  let store;
  try {
    store = await openStore(url);
  } catch (error) {
    throw new UsageError(`cannot open the store ${url}: ${(error as Error).message}`);
  }
  try {
    return await verifyEvents(store);
  } finally {
    await store.close();
  }
}

function printVerification(output: AdminOutput, result: ApiVerification): void {
  if (result.ok) output.out(`audit log intact: ${result.count} events\n`);
  else output.err(`audit log broken at event ${result.firstBadSeq}${result.reason === undefined ? '' : ` (${result.reason})`}: ${result.problem}\n`);
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "10m" -> now - 10 minutes; an ISO 8601 time -> its epoch ms. */
export function parseWhen(value: string, now: number = Date.now()): number {
  const match = DURATION.exec(value);
  if (match !== null) return now - Number(match[1]) * UNIT_MS[match[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new InvalidArgumentError(`expected a duration back from now (30s, 10m, 2h, 1d) or an ISO 8601 time, got ${JSON.stringify(value)}`);
}
