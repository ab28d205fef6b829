// The --variant arguments of the A/B harnesses (latency-ab.js, throughput-ab.js): NAME=FLAG,FLAG...
// names one way of starting evenkeel, with those Node flags (none after a bare NAME or NAME=), and
// NAME@DIR=FLAG,... starts the build in another checkout DIR instead (git worktree add DIR; npm ci
// there), to compare two builds in one run. A FLAG written NAME=VALUE in capitals is an environment
// variable of that process instead (MALLOC_ARENA_MAX=2).
import { resolve } from 'node:path';
import { evenkeelTarget } from './targets.js';

/** [{ name, target, nodeFlags }] for each --variant spec, in order. */
export function evenkeelVariants(specs) {
  return specs.map((spec) => {
    const at = spec.indexOf('=');
    const head = at < 0 ? spec : spec.slice(0, at);
    const nodeFlags = at < 0 ? [] : spec.slice(at + 1).split(',').filter((flag) => flag !== '');
    const dirAt = head.indexOf('@');
    const name = dirAt < 0 ? head : head.slice(0, dirAt);
    const target = dirAt < 0 ? evenkeelTarget() : evenkeelTarget(resolve(head.slice(dirAt + 1)));
    return { name, target, nodeFlags };
  });
}
