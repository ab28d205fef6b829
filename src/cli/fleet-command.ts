import type { Command } from 'commander';
import type { FleetStatus } from '../admin/index.js';
import { ADMIN_HELP, adminAction, printJson, processContext, withAdminOptions, type AdminContext } from './admin-command.js';
import { formatTable, isoTime } from './table.js';

// `evenkeel fleet status`: the nodes sharing one PostgreSQL store (docs/fleet.md), as any one of them
// sees them in the `nodes` table: which config version each serves, how fresh its heartbeat is, and
// its traffic. A node on another version than the rest, or a stale one, is the first thing to look at.

/** `evenkeel fleet status [--json]`. */
export function registerFleetCommands(program: Command, context: AdminContext = processContext): void {
  const { output } = context;
  const fleet = program.command('fleet').description('The nodes that share this node\'s PostgreSQL store (docs/fleet.md).');
  withAdminOptions(fleet.command('status'))
    .description('List the nodes of the fleet: config version, last heartbeat, state (live, stale, gone), requests per second and the monitor leader.')
    .addHelpText('after', `
Examples:
  $ evenkeel fleet status
  $ evenkeel fleet status --admin http://10.0.0.5:9090 --json | jq '.nodes[] | select(.state != "live")'

STATE is live (a heartbeat within 6 s), stale (within 30 s) or gone (older: crashed or cut off from
the database; a node that stops cleanly removes itself). VERSION is the config version the node
serves; "*" marks one that differs from the newest any live node serves. RPS comes from the
telemetry snapshots the nodes write ("-" when a node wrote none). MONITOR says "leader" for the one
node that holds the monitor's lock and evaluates the rules, alerts and rolls back for the whole
fleet. On a SQLite store the node is a fleet of one and nothing is listed.
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const status = await client().get<FleetStatus>('/api/v1/fleet');
        if (options.json === true) printJson(output, status);
        else output.out(renderFleetStatus(status));
      }),
    );
}

/** The fleet as a table, with this node's own view of the store under it. */
export function renderFleetStatus(status: FleetStatus, now: number = Date.now()): string {
  if (!status.isFleet) {
    return `This node's store is ${status.store}: a fleet of one. Nodes form a fleet when they share a postgres:// store.url (docs/fleet.md).\n`;
  }
  const newest = Math.max(0, ...status.nodes.filter((node) => node.state === 'live').map((node) => node.configVersion ?? 0));
  const rows = status.nodes.map((node) => [
    `${node.id}${status.self?.id === node.id ? ' (this)' : ''}`,
    node.state,
    node.configVersion === null ? '-' : `${node.configVersion}${node.configVersion !== newest ? ' *' : ''}`,
    `${(node.heartbeatAgeMs / 1000).toFixed(1)} s ago`,
    node.requestsPerSecond === null ? '-' : node.requestsPerSecond.toFixed(1),
    node.adminUrl ?? '-',
    node.isLeader ? 'leader' : '-',
  ]);
  const lines = [`evenkeel fleet  ${isoTime(now)}  store ${status.store}  (${status.nodes.length} node${status.nodes.length === 1 ? '' : 's'})`, ''];
  lines.push(status.nodes.length === 0 ? 'No node is registered.' : formatTable(['NODE', 'STATE', 'VERSION', 'HEARTBEAT', 'RPS', 'ADMIN', 'MONITOR'], rows).trimEnd());
  const self = status.self;
  if (self !== null && !self.isStoreUp) {
    lines.push('', `This node cannot reach the store since ${isoTime(self.storeDownSince)} (${self.storeError ?? 'unknown'}); it serves version ${self.configVersion} until it can.`);
  }
  return `${lines.join('\n')}\n`;
}
