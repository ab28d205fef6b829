import { percent } from './format';

// Expected share (from the effective weights) and observed share (from the requests) side by side:
// the postmortem's "2 of 5 servers carry 80%" is two long red bars next to short grey ones.

/** Observed over expected above this is drawn as over-served (the skew rule's default ratio). */
const OVER_SERVED_RATIO = 1.5;

export function ShareBars({ expected, observed, hasTraffic }: { expected: number; observed: number; hasTraffic: boolean }) {
  const isOverServed = hasTraffic && expected > 0 && observed / expected > OVER_SERVED_RATIO;
  const isUnexpected = hasTraffic && expected === 0 && observed > 0;
  return (
    <div class="share-bars">
      <div class="bar-row">
        <span class="bar-label">expected</span>
        <span class="bar-track">
          <span class="bar expected" style={{ width: percent(Math.min(1, expected)) }} />
        </span>
        <span class="bar-value">{percent(expected)}</span>
      </div>
      <div class="bar-row">
        <span class="bar-label">observed</span>
        <span class="bar-track">
          <span class={`bar observed${isOverServed || isUnexpected ? ' over' : ''}`} style={{ width: percent(Math.min(1, observed)) }} />
        </span>
        <span class="bar-value">
          {hasTraffic ? percent(observed) : '–'}
          {(isOverServed || isUnexpected) && <span class="badge danger"> over</span>}
        </span>
      </div>
    </div>
  );
}
