import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { ChangeRequest } from '../control/index.js';
import { ADMIN_HELP, adminAction, EXIT_REFUSED, printJson, processContext, UsageError, withAdminOptions, type AdminContext, type AdminOutput } from './admin-command.js';
import { formatTable, isoTime, percent } from './table.js';

const CHANGE_STATUSES = ['proposed', 'approved', 'rejected', 'applied', 'rolled_back', 'failed'];

/** `evenkeel change ...` and `evenkeel rollback`. */
export function registerChangeCommands(program: Command, context: AdminContext = processContext): void {
  const { output } = context;
  const change = program
    .command('change')
    .description('Propose, review, approve, reject and apply changes to the live config of a running node.')
    .addHelpText('after', `
Examples:
  evenkeel change set-weight portal web-1 150 --reason "web-1 has twice the cores now"
  evenkeel change list --status proposed
  evenkeel change show 17
  evenkeel change approve 17 --comment "simulation looks even"
  evenkeel change apply 17
${ADMIN_HELP}

See docs/cli.md and docs/changes.md.`);

  const proposeResult = async (request: ChangeRequest, json: boolean | undefined): Promise<number> => {
    if (json === true) printJson(output, request);
    else renderChange(output, request);
    return request.status === 'rejected' ? EXIT_REFUSED : 0;
  };

  withAdminOptions(change.command('propose'))
    .description('Propose a whole new config file as a change; prints the diff and the impact simulation.')
    .requiredOption('--file <path>', 'the proposed config (YAML)')
    .requiredOption('--reason <text>', 'why (recorded with the change)')
    .option('--base <version>', 'the live version this was written against (refused if it is no longer live)', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel change propose --file evenkeel.next.yaml --reason "add web-6"
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const file = options.file as string;
        let configYaml: string;
        try {
          configYaml = readFileSync(file, 'utf8');
        } catch (error) {
          throw new UsageError(`cannot read --file ${file}: ${(error as Error).message}`);
        }
        const body = { reason: options.reason, source: 'cli', configYaml, ...(options.base === undefined ? {} : { baseVersion: options.base }) };
        return proposeResult(await client().post<ChangeRequest>('/api/v1/changes', body), options.json);
      }),
    );

  withAdminOptions(change.command('set-weight'))
    .description('Propose a new weight for one backend of a pool.')
    .argument('<pool>', 'pool name')
    .argument('<backend>', 'backend name')
    .argument('<weight>', 'new weight (whole number 0..10000)', parseWholeNumber)
    .argument('[more...]', 'further BACKEND WEIGHT pairs of the same pool, proposed as one change')
    .requiredOption('--reason <text>', 'why (recorded with the change)')
    .addHelpText('after', `
Examples:
  $ evenkeel change set-weight portal web-1 150 --reason "web-1 has twice the cores now"
  $ evenkeel change set-weight portal web-1 150 web-2 150 --reason "both got new hardware"
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, pool: string, backend: string, weight: number, more: string[] = []) => {
        if (more.length % 2 !== 0) throw new UsageError(`set-weight takes BACKEND WEIGHT pairs; ${JSON.stringify(more.at(-1))} has no weight`);
        const operations = [{ op: 'set_weight', pool, backend, weight }];
        for (let i = 0; i < more.length; i += 2) {
          if (!/^\d+$/.test(more[i + 1]!)) throw new UsageError(`weight of ${more[i]} must be a whole number, got ${JSON.stringify(more[i + 1])}`);
          operations.push({ op: 'set_weight', pool, backend: more[i]!, weight: Number(more[i + 1]) });
        }
        const body = { reason: options.reason, source: 'cli', operations };
        return proposeResult(await client().post<ChangeRequest>('/api/v1/changes', body), options.json);
      }),
    );

  for (const op of ['drain', 'undrain'] as const) {
    withAdminOptions(change.command(op))
      .description(op === 'drain' ? 'Propose draining one backend (no new requests; pinned sessions move).' : 'Propose taking a drained backend back into rotation.')
      .argument('<pool>', 'pool name')
      .argument('<backend>', 'backend name')
      .requiredOption('--reason <text>', 'why (recorded with the change)')
      .addHelpText('after', `
Example:
  $ evenkeel change ${op} portal web-3 --reason "${op === 'drain' ? 'kernel upgrade' : 'kernel upgrade done'}"
${ADMIN_HELP}`)
      .action(
        adminAction(context, async (client, options, pool: string, backend: string) => {
          const body = { reason: options.reason, source: 'cli', operations: [{ op, pool, backend }] };
          return proposeResult(await client().post<ChangeRequest>('/api/v1/changes', body), options.json);
        }),
      );
  }

  withAdminOptions(change.command('list'))
    .description('List change requests, newest first.')
    .option('--status <status>', `only this status (${CHANGE_STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most this many', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel change list --status proposed
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const changes = await client().get<ChangeRequest[]>('/api/v1/changes', { status: options.status as string | undefined, limit: options.limit as number | undefined });
        if (options.json === true) return printJson(output, changes);
        if (changes.length === 0) return output.out('no change requests\n');
        output.out(
          formatTable(
            ['ID', 'STATUS', 'FLAG', 'AUTHOR', 'SOURCE', 'CREATED', 'REASON'],
            changes.map((c) => [String(c.id), c.status, c.isFlagged ? 'FLAGGED' : '', c.author, c.source, isoTime(c.createdAt), c.reason]),
          ),
        );
      }),
    );

  withAdminOptions(change.command('show'))
    .description('Show one change: its diff in words, the impact simulation per backend, findings and approvals.')
    .argument('<id>', 'change id', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel change show 17
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, id: number) => {
        const request = await client().get<ChangeRequest>(`/api/v1/changes/${id}`);
        if (options.json === true) return printJson(output, request);
        renderChange(output, request);
      }),
    );

  for (const verb of ['approve', 'reject'] as const) {
    withAdminOptions(change.command(verb))
      .description(verb === 'approve' ? 'Approve a proposed change (approver or admin; never its author).' : 'Reject a proposed change (approver or admin).')
      .argument('<id>', 'change id', parseWholeNumber)
      .option('--comment <text>', 'recorded with the decision')
      .addHelpText('after', `
Example:
  $ evenkeel change ${verb} 17 --comment "${verb === 'approve' ? 'simulation looks even' : 'sends 80% to two servers'}"
${ADMIN_HELP}`)
      .action(
        adminAction(context, async (client, options, id: number) => {
          const body = options.comment === undefined ? {} : { comment: options.comment };
          const request = await client().post<ChangeRequest>(`/api/v1/changes/${id}/${verb}`, body);
          if (options.json === true) return printJson(output, request);
          output.out(`change ${request.id}: ${request.status}\n`);
        }),
      );
  }

  withAdminOptions(change.command('apply'))
    .description('Apply an approved change (or one that needs no approval): the live config swaps atomically.')
    .argument('<id>', 'change id', parseWholeNumber)
    .addHelpText('after', `
Example:
  $ evenkeel change apply 17
  change 17: applied as version 8
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, id: number) => {
        const request = await client().post<ChangeRequest>(`/api/v1/changes/${id}/apply`, {});
        if (options.json === true) return printJson(output, request);
        output.out(`change ${request.id}: ${request.status}${request.appliedVersion === null ? '' : ` as version ${request.appliedVersion}`}\n`);
      }),
    );

  withAdminOptions(program.command('rollback'))
    .description('Roll the live config back to VERSION (default: the version before the live one). The rollback is itself a recorded change.')
    .argument('[version]', 'config version to restore', parseWholeNumber)
    .requiredOption('--reason <text>', 'why (recorded with the change)')
    .addHelpText('after', `
Example:
  $ evenkeel rollback 7 --reason "web-1 errors after the weight change"
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, version: number | undefined) => {
        const body = { reason: options.reason, ...(version === undefined ? {} : { toVersion: version }) };
        const request = await client().post<ChangeRequest>('/api/v1/rollback', body);
        if (options.json === true) return printJson(output, request);
        output.out(`rollback change ${request.id}: ${request.status}${request.appliedVersion === null ? '' : `, live version is now ${request.appliedVersion}`}${request.rollbackOf === null ? '' : ` (restores version ${request.rollbackOf})`}\n`);
        return request.status === 'rejected' ? EXIT_REFUSED : 0;
      }),
    );
}

/** A change request as people read it: header, diff, simulation table, findings, approvals. */
export function renderChange(output: AdminOutput, request: ChangeRequest): void {
  const lines: string[] = [];
  lines.push(`change ${request.id}  ${request.status}${request.isFlagged ? '  FLAGGED' : ''}`);
  lines.push(`  author:   ${request.author} (${request.authorRole}, via ${request.source})`);
  lines.push(`  reason:   ${request.reason}`);
  lines.push(`  base:     version ${request.baseVersion ?? '-'}${request.appliedVersion === null ? '' : `; applied as version ${request.appliedVersion}`}`);
  lines.push(`  approval: ${request.needsApproval ? 'needed from an approver who is not the author' : 'not needed by policy'}`);
  lines.push(`  created:  ${isoTime(request.createdAt)}`);
  lines.push('', 'diff:');
  if (request.diff.length === 0) lines.push('  (no difference)');
  for (const line of request.diff) lines.push(`  ${line}`);
  output.out(`${lines.join('\n')}\n`);

  const simulation = request.simulation;
  if (simulation !== null) {
    output.out(`\nimpact simulation (${simulation.sampleSize} recent requests replayed; flag above ${simulation.maxShareRatio}x the weight share):\n`);
    for (const pool of simulation.pools) {
      output.out(`pool ${pool.pool}${pool.isSynthetic === true ? ' (synthetic sample: no recent traffic)' : ` (${pool.sampledRequests} requests)`}\n`);
      const rows = pool.backends.map((b) => [
        b.backend,
        percent(b.weightShare),
        percent(b.currentShare),
        percent(b.predictedShare),
        simulation.flags.some((flag) => flag.startsWith(`${b.backend} `)) ? 'FLAG' : '',
      ]);
      output.out(indent(formatTable(['BACKEND', 'WEIGHT SHARE', 'CURRENT', 'PREDICTED', 'FLAG'], rows)));
    }
    for (const flag of simulation.flags) output.out(`flagged: ${flag}\n`);
  }
  if (request.findings.length > 0) {
    output.out('\nfindings:\n');
    for (const finding of request.findings) output.out(`  ${finding.severity} ${finding.rule}: ${finding.message}\n`);
  }
  output.out('\napprovals:\n');
  if (request.approvals.length === 0) output.out('  none yet\n');
  for (const a of request.approvals) output.out(`  ${a.decision === 'approve' ? 'approved' : 'rejected'} by ${a.approver} at ${isoTime(a.at)}${a.comment === null ? '' : `: ${a.comment}`}\n`);
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}

/** Commander argument parser for ids, weights, versions and limits. */
export function parseWholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}
