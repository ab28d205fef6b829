import os from 'node:os';

/** Environment variable that names this node in the fleet, instead of hostname:admin-port. */
export const NODE_ID_ENV = 'EVENKEEL_NODE_ID';

/**
 * The node's id in the `nodes` table: $EVENKEEL_NODE_ID when set, else `<hostname>:<admin port>`.
 * Both are stable across restarts of the same node, so a restarted node takes over its own row
 * instead of leaving a `gone` one behind; two nodes on one host differ by their admin port.
 */
export function nodeIdOf(adminUrl: string, env: NodeJS.ProcessEnv = process.env, hostname: string = os.hostname()): string {
  const given = env[NODE_ID_ENV]?.trim();
  if (given) return given;
  return `${hostname}:${new URL(adminUrl).port}`;
}
