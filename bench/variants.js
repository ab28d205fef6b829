// The --variant arguments of the A/B harnesses (latency-ab.js, throughput-ab.js): NAME=FLAG,FLAG...
// names one way of starting evenkeel, with those Node flags (none after a bare NAME or NAME=).
import { TARGETS } from './targets.js';

/** [{ name, target (evenkeel's), nodeFlags }] for each --variant spec, in order. */
export function evenkeelVariants(specs) {
  const target = TARGETS.find((candidate) => candidate.name === 'evenkeel');
  return specs.map((spec) => {
    const at = spec.indexOf('=');
    const name = at < 0 ? spec : spec.slice(0, at);
    const nodeFlags = at < 0 ? [] : spec.slice(at + 1).split(',').filter((flag) => flag !== '');
    return { name, target, nodeFlags };
  });
}
