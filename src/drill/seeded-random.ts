import { DrillError } from './errors.js';

// Reproducible randomness for drills: a run with the same seed offers the same load, picks the same
// sessions and draws the same service times, so two runs of a drill differ only by what the system
// under test did. Mulberry32 (Tommy Ettinger's 32-bit generator) is small, fast and good enough for
// load shapes; it is not for anything that needs unpredictability.

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** Mulberry32 seeded with `seed` (any number; the low 32 bits are used): the impact simulation's own. */
export { seededRandom } from '../control/index.js';

/** z of the standard normal distribution at its 99th percentile. */
const Z_99 = 2.3263478740408408;

/** A standard normal draw (Box-Muller; one of the pair is dropped for simplicity). */
export function normalDraw(random: Random): number {
  const u = 1 - random(); // (0, 1], so the logarithm is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * A log-normal distribution given by its median and 99th percentile, the two numbers people know
 * about a server's response time. Service times are log-normal in practice: a floor of work with a
 * long right tail.
 */
export function logNormalSampler(medianMs: number, p99Ms: number, random: Random): () => number {
  if (!(medianMs > 0) || !(p99Ms >= medianMs)) {
    throw new DrillError('EK_DRILL_INVALID_OPTION', `expected 0 < median <= p99 for a service time, got median ${medianMs} ms and p99 ${p99Ms} ms`);
  }
  const mu = Math.log(medianMs);
  const sigma = (Math.log(p99Ms) - mu) / Z_99;
  return () => Math.exp(mu + sigma * normalDraw(random));
}
