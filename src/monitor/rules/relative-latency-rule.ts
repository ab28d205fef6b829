import type { LatencyRuleConfig } from '../../config/index.js';
import type { RuleFinding } from '../alert.js';
import { ratio, wholeNumber } from '../finding-text.js';
import { windowSeconds } from '../rule-window.js';
import { rounded, type PoolView } from './pool-view.js';

// Relative latency: one backend much slower than its peers, which absolute limits miss when the whole
// pool is fast (40 ms against 5 ms is a sick backend long before 500 ms). Peers are the pool's other
// backends with enough requests; their median p95 is robust to one other slow peer. The absolute
// floor (`relative_min_ms`) keeps fast pools quiet: 1 ms against 0.3 ms is 3x but no problem.

export function evaluateRelativeLatency(pool: PoolView, config: LatencyRuleConfig): RuleFinding[] {
  const seconds = windowSeconds(config.window);
  const judged = pool.window(seconds).filter((window) => window.requests > 0 && window.requests >= config.min_requests);
  if (judged.length < 2) return [];
  const findings: RuleFinding[] = [];
  for (const window of judged) {
    const peerMedianMs = median(judged.filter((peer) => peer !== window).map((peer) => peer.latencyP95Ms));
    const p95Ms = window.latencyP95Ms;
    if (!(p95Ms > config.relative_ratio * peerMedianMs) || !(p95Ms > config.relative_min_ms)) continue;
    const times = peerMedianMs > 0 ? `${ratio(p95Ms / peerMedianMs)}x` : 'far above';
    findings.push({
      rule: 'relative_latency',
      severity: 'warning',
      pool: pool.name,
      backend: window.id,
      backends: [window.id],
      summary: `${window.id} p95 is ${wholeNumber(p95Ms)} ms, ${times} the median of its peers (${wholeNumber(peerMedianMs)} ms) over the last ${seconds} s.`,
      evidence: {
        p95Ms: rounded(p95Ms, 1),
        peerMedianP95Ms: rounded(peerMedianMs, 1),
        ratio: peerMedianMs > 0 ? rounded(p95Ms / peerMedianMs, 2) : 'infinite',
        requests: window.requests,
        peers: judged.length - 1,
        windowSeconds: seconds,
      },
      forMs: config.for,
    });
  }
  return findings;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
