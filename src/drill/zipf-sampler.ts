import { DrillError } from './errors.js';
import type { Random } from './seeded-random.js';

// Session activity in real traffic is heavy-tailed: a few sessions (busy users, crawlers, API
// clients) send most requests. Zipf's law with exponent s gives session k (1-based rank) a weight of
// 1 / k^s; s = 0 is uniform, s = 1 is the classic web-access curve (Breslau et al., INFOCOM 1999).

/** The share of all activity that each rank carries (sums to 1), busiest first. */
export function zipfShares(count: number, exponent: number): Float64Array {
  const shares = new Float64Array(count);
  let total = 0;
  for (let rank = 1; rank <= count; rank++) {
    shares[rank - 1] = 1 / rank ** exponent;
    total += shares[rank - 1];
  }
  for (let i = 0; i < count; i++) shares[i] /= total;
  return shares;
}

/** Draws ranks 0..count-1 with Zipf probabilities: a binary search in the cumulative shares. */
export function zipfSampler(count: number, exponent: number, random: Random): () => number {
  if (!Number.isInteger(count) || count < 1) throw new DrillError('EK_DRILL_INVALID_OPTION', `expected at least 1 session, got ${count}`);
  if (!(exponent >= 0)) throw new DrillError('EK_DRILL_INVALID_OPTION', `expected a Zipf exponent >= 0, got ${exponent}`);
  const shares = zipfShares(count, exponent);
  const cumulative = new Float64Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) {
    sum += shares[i];
    cumulative[i] = sum;
  }
  cumulative[count - 1] = 1; // rounding must not leave a gap at the top
  return () => {
    const u = random();
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] > u) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}
