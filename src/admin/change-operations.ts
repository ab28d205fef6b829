import { ChangeError } from '../control/index.js';
import type { Config } from '../config/index.js';

/** A small edit of the live config, as POST /api/v1/changes accepts instead of a whole YAML file. */
export type ChangeOperation =
  | { op: 'set_weight'; pool: string; backend: string; weight: number }
  | { op: 'drain'; pool: string; backend: string }
  | { op: 'undrain'; pool: string; backend: string };

/**
 * The live config with the operations applied in order (the live config is not touched). Throws
 * ChangeError EK_CHANGE_INVALID naming an unknown pool or backend.
 */
export function applyOperations(live: Config, operations: readonly ChangeOperation[]): Config {
  const proposed = structuredClone(live);
  for (const operation of operations) {
    const pool = Object.hasOwn(proposed.pools, operation.pool) ? proposed.pools[operation.pool] : undefined;
    if (pool === undefined) {
      throw new ChangeError('EK_CHANGE_INVALID', `${operation.op}: there is no pool "${operation.pool}"; pools are ${Object.keys(proposed.pools).join(', ')}`);
    }
    const backend = pool.backends.find((candidate) => candidate.id === operation.backend);
    if (backend === undefined) {
      throw new ChangeError(
        'EK_CHANGE_INVALID',
        `${operation.op}: pool "${operation.pool}" has no backend "${operation.backend}"; its backends are ${pool.backends.map((candidate) => candidate.id).join(', ')}`,
      );
    }
    if (operation.op === 'set_weight') backend.weight = operation.weight;
    else backend.drain = operation.op === 'drain';
  }
  return proposed;
}
