// Slow start, as in Envoy's slow_start_config (source/common/upstream/load_balancer_impl.cc) with
// aggression 1: a backend that has just become healthy gets weight × max(minShare, elapsed / window),
// a straight line from a small share to the full weight. The floor matters: a share of 0 would keep
// the backend out of rotation entirely, so the ramp would never warm it. Envoy's default floor is 10%.

/** The share of its weight a backend gets at the very start of a ramp. */
export const SLOW_START_MIN_SHARE = 0.1;

/**
 * The ramp factor in (0, 1] at `nowMs` for a ramp that began at `startedAtMs` and lasts `windowMs`.
 * 1 when the window is over or slow start is off (window 0).
 */
export function slowStartFactor(nowMs: number, startedAtMs: number, windowMs: number): number {
  if (windowMs <= 0) return 1;
  const elapsed = nowMs - startedAtMs;
  if (elapsed >= windowMs) return 1;
  const share = elapsed / windowMs;
  return share > SLOW_START_MIN_SHARE ? share : SLOW_START_MIN_SHARE;
}
