import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { formatIncidentDuration, INCIDENT_MILESTONES, renderIncidentReportMarkdown, type Incident, type IncidentReport } from '../incident/index.js';
import { ADMIN_HELP, adminAction, printJson, processContext, UsageError, withAdminOptions, type AdminContext, type AdminOutput } from './admin-command.js';
import { parseWholeNumber } from './change-command.js';
import { formatTable, isoTime, percent } from './table.js';

// `evenkeel incident ...` (docs/incidents.md): the incidents a node opened from its alerts, their
// milestones, the marks only people can make (acknowledged, identified, mitigated), and the postmortem
// draft. The postmortem of 2024-05-01 has quarter-hour times written from memory; these come from the
// node's own clock as things happened.

/** An incident as the admin API returns it: with the durations that follow from its milestones. */
export type IncidentView = Incident & { durations: { toDetectMs: number | null; toMitigateMs: number | null; toResolveMs: number | null } };

const REPORT_FORMATS = ['md', 'json'] as const;

export function registerIncidentCommands(program: Command, context: AdminContext = processContext): void {
  const { output } = context;
  const incident = program
    .command('incident')
    .description('Incidents the node opened from its alerts: list, show, acknowledge, record the cause and the mitigation, write the postmortem draft.')
    .addHelpText('after', `
An incident opens when an alert fires and resolves when every related alert (same pool) has
resolved. started is the first sign in the telemetry, detected the first alert; identified and
mitigated are set by the node's automatic rollback or by people (below).

Examples:
  evenkeel incident list --status open
  evenkeel incident show 3
  evenkeel incident ack 3
  evenkeel incident identify 3 --cause "weights.sh raised web-1 and web-2 to 400"
  evenkeel incident mitigate 3 --note "weights restored by hand"
  evenkeel incident report 3 --output postmortem-3.md
${ADMIN_HELP}

See docs/incidents.md and docs/cli.md.`);

  withAdminOptions(incident.command('list'))
    .description('List incidents, newest first, with time to detect, mitigate and resolve from the first sign.')
    .addOption(new Option('--status <status>', 'only open or only resolved incidents').choices(['open', 'resolved']))
    .option('--limit <n>', 'at most this many (default 50)', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel incident list
  ID  POOL    STATUS    STARTED               DETECT  MITIGATE  RESOLVE  TITLE
  3   portal  resolved  2026-11-29T09:41:30Z  2.1 s   2.2 s     9.3 s    errors: 34% of portal requests failed...
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const incidents = await client().get<IncidentView[]>('/api/v1/incidents', { status: options.status as string | undefined, limit: options.limit as number | undefined });
        if (options.json === true) return printJson(output, incidents);
        if (incidents.length === 0) {
          output.out(options.status === undefined ? 'no incidents\n' : `no ${String(options.status)} incidents\n`);
          return;
        }
        output.out(
          formatTable(
            ['ID', 'POOL', 'STATUS', 'STARTED', 'DETECT', 'MITIGATE', 'RESOLVE', 'TITLE'],
            incidents.map((item) => [
              String(item.id),
              item.pool,
              item.status,
              isoTime(item.milestones.started?.at),
              duration(item.durations.toDetectMs),
              duration(item.durations.toMitigateMs),
              duration(item.durations.toResolveMs),
              item.title,
            ]),
          ),
        );
      }),
    );

  withAdminOptions(incident.command('show'))
    .description('Show one incident: its milestones with who reached them and when, its alerts and its impact.')
    .argument('<id>', 'incident id', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel incident show 3
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, id: number) => {
        const shown = await client().get<IncidentView>(`/api/v1/incidents/${id}`);
        if (options.json === true) return printJson(output, shown);
        renderIncident(output, shown);
      }),
    );

  const marks = [
    { verb: 'ack', path: 'acknowledge', milestone: 'acknowledged', description: 'Acknowledge an incident: say someone is on it (operator, approver or admin).', flag: undefined, example: 'ack 3' },
    { verb: 'identify', path: 'identify', milestone: 'identified', description: 'Record the confirmed cause of an incident (operator, approver or admin).', flag: 'cause', example: 'identify 3 --cause "weights.sh raised web-1 and web-2 to 400"' },
    { verb: 'mitigate', path: 'mitigate', milestone: 'mitigated', description: 'Record what mitigated an open incident, when the node did not (operator, approver or admin).', flag: 'note', example: 'mitigate 3 --note "weights restored by hand"' },
  ] as const;
  for (const mark of marks) {
    const command = withAdminOptions(incident.command(mark.verb)).description(mark.description).argument('<id>', 'incident id', parseWholeNumber);
    if (mark.flag === 'cause') command.requiredOption('--cause <text>', 'the cause, as confirmed');
    if (mark.flag === 'note') command.requiredOption('--note <text>', 'what was done');
    command
      .addHelpText('after', `
The first mark of a milestone counts; a later one is kept in the incident's history.

Example:
  $ evenkeel incident ${mark.example}
${ADMIN_HELP}`)
      .action(
        adminAction(context, async (client, options, id: number) => {
          const text = mark.flag === undefined ? undefined : (options[mark.flag] as string);
          if (text !== undefined && text.trim() === '') throw new UsageError(`--${mark.flag} must say something`);
          const before = await client().get<IncidentView>(`/api/v1/incidents/${id}`);
          const body = mark.flag === undefined ? {} : { [mark.flag]: text };
          const after = await client().post<IncidentView>(`/api/v1/incidents/${id}/${mark.path}`, body);
          if (options.json === true) return printJson(output, after);
          const reached = after.milestones[mark.milestone];
          const earlier = before.milestones[mark.milestone];
          if (earlier !== undefined && reached !== undefined) {
            output.out(`incident ${id} was already ${mark.milestone} by ${reached.by} at ${isoTime(reached.at)}; your mark is kept in its history\n`);
          } else if (reached !== undefined) {
            output.out(`incident ${id}: ${mark.milestone} by ${reached.by} at ${isoTime(reached.at)}${reached.note === undefined ? '' : `: ${reached.note}`}\n`);
          }
        }),
      );
  }

  withAdminOptions(incident.command('report'))
    .description('Write a postmortem draft of an incident from its milestones, impact and the audit log.')
    .argument('<id>', 'incident id', parseWholeNumber)
    .addOption(new Option('--format <format>', 'md: the draft in Markdown; json: the report object it is written from').choices(REPORT_FORMATS).default('md'))
    .option('--output <file>', 'write the report to this file instead of standard output')
    .addHelpText('after', `
The draft has the summary, impact, trigger, root-cause candidates, detection, resolution and a
timeline with the real times; the sections only the people who ran the incident can write are
left for them. --json is the same as --format json.

Examples:
  $ evenkeel incident report 3 > postmortem-3.md
  $ evenkeel incident report 3 --format json --output incident-3.json
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, id: number) => {
        const format = options.json === true ? 'json' : (options.format as (typeof REPORT_FORMATS)[number]);
        const report = await client().get<IncidentReport>(`/api/v1/incidents/${id}/report`, { format: 'json' });
        const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : ensureNewline(renderIncidentReportMarkdown(report));
        const file = options.output as string | undefined;
        if (file === undefined) {
          output.out(text);
          return;
        }
        try {
          writeFileSync(file, text);
        } catch (error) {
          throw new UsageError(`cannot write --output ${file}: ${(error as Error).message}`);
        }
        output.err(`incident ${id}: report written to ${file} (${format})\n`);
      }),
    );
}

/** An incident as people read it: header, milestones (who and when), later marks, alerts and impact. */
export function renderIncident(output: AdminOutput, incident: IncidentView): void {
  const lines: string[] = [];
  lines.push(`incident ${incident.id}  ${incident.status}  pool ${incident.pool === '*' ? '* (node-wide)' : incident.pool}`);
  lines.push(`  title:    ${incident.title}`);
  lines.push(`  alerts:   ${incident.alerts.length === 0 ? '-' : incident.alerts.join(', ')}`);
  lines.push(`  backends: ${incident.backends.length === 0 ? '-' : incident.backends.join(', ')}`);
  output.out(`${lines.join('\n')}\n\nmilestones:\n`);
  const started = incident.milestones.started?.at;
  const rows = INCIDENT_MILESTONES.map((milestone) => {
    const mark = incident.milestones[milestone];
    if (mark === undefined) return [milestone, '-', '', '', ''];
    return [milestone, isoTime(mark.at), started === undefined ? '' : `+${formatIncidentDuration(mark.at - started)}`, mark.by, mark.note ?? ''];
  });
  output.out(indent(formatTable(['MILESTONE', 'AT', 'SINCE START', 'BY', 'NOTE'], rows)));
  const history = incident.history ?? [];
  if (history.length > 0) {
    output.out('\nlater marks (the first one counts):\n');
    for (const entry of history) output.out(`  ${entry.milestone} by ${entry.by} at ${isoTime(entry.at)}${entry.note === undefined ? '' : `: ${entry.note}`}\n`);
  }
  const { durations, impact } = incident;
  output.out(`\ntime to detect ${duration(durations.toDetectMs)}, to mitigate ${duration(durations.toMitigateMs)}, to resolve ${duration(durations.toResolveMs)} (from the first sign)\n`);
  const share = (count: number) => (impact.requests === 0 ? '' : ` (${percent(count / impact.requests)})`);
  output.out(`\nimpact while open: ${impact.requests} requests, ${impact.failed} failed${share(impact.failed)}, ${impact.slowed} slower than ${impact.sloMs} ms${share(impact.slowed)}\n`);
  const backends = Object.entries(impact.backends).sort((a, b) => b[1].requests - a[1].requests);
  if (backends.length > 0) output.out(indent(formatTable(['BACKEND', 'REQUESTS', 'FAILED', 'SLOWED'], backends.map(([name, counts]) => [name, String(counts.requests), String(counts.failed), String(counts.slowed)]))));
}

function duration(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : formatIncidentDuration(ms);
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

function ensureNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}
