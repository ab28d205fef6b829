// Fixed buckets shared by every counter set in this room: status classes and latency buckets.
// Fixed (not configurable) so that deltas from workers line up with the primary's arrays and the
// Prometheus histogram keeps the same `le` series across restarts.

/** Upper bounds (inclusive, Prometheus `le` semantics) of the latency buckets in milliseconds. */
export const LATENCY_BOUNDS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];
/** Finite buckets plus the +Inf bucket. */
export const LATENCY_BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

const boundsMs = Float64Array.from(LATENCY_BOUNDS_MS);

/** The status classes counted per backend, in array order. */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];
export const STATUS_CLASS_COUNT = STATUS_CLASSES.length;

/** Index into STATUS_CLASSES; codes below 200 count as 1xx and codes of 600 and up as 5xx. */
export function statusClassOf(statusCode: number): number {
  const index = ((statusCode / 100) | 0) - 1;
  if (index < 0) return 0;
  if (index > 4) return 4;
  return index;
}

/** Index of the first bucket whose bound is >= latencyMs (the last index is +Inf). */
export function latencyBucketOf(latencyMs: number): number {
  // 13 comparisons at most; a binary search is not faster at this size and reads worse.
  for (let i = 0; i < boundsMs.length; i++) {
    if (latencyMs <= boundsMs[i]) return i;
  }
  return boundsMs.length;
}

/**
 * Estimates the q-quantile (0..1) from non-cumulative bucket counts starting at `offset`, the way
 * Prometheus' histogram_quantile does: linear interpolation inside the bucket holding the rank,
 * 0 as the lower edge of the first bucket, and the highest finite bound when the rank falls in +Inf.
 * The estimate is within the width of one bucket of the true value. Returns 0 when there are no samples.
 */
export function estimateQuantileMs(counts: ArrayLike<number>, offset: number, q: number): number {
  let total = 0;
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) total += counts[offset + i];
  if (total === 0) return 0;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) {
    const inBucket = counts[offset + i];
    if (inBucket > 0 && below + inBucket >= rank) {
      if (i === boundsMs.length) return boundsMs[boundsMs.length - 1];
      const lower = i === 0 ? 0 : boundsMs[i - 1];
      const upper = boundsMs[i];
      return lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    below += inBucket;
  }
  return boundsMs[boundsMs.length - 1];
}

/**
 * Requests in the buckets wholly above `thresholdMs` (lower edge >= threshold), from non-cumulative
 * counts starting at `offset`: surely slower than the threshold. A bucket straddling it is not counted,
 * so with a threshold that is not a bound the count errs low by at most that bucket.
 */
export function countSlowerThanMs(counts: ArrayLike<number>, offset: number, thresholdMs: number): number {
  let slower = 0;
  for (let i = 1; i < LATENCY_BUCKET_COUNT; i++) {
    if (boundsMs[i - 1] >= thresholdMs) slower += counts[offset + i];
  }
  return slower;
}
