import { describe, expect, it } from 'vitest';
import { DRILL_TEST_TIMEOUT_MS, eventsOfKind, explain, expectPass, runBuiltin } from './drill-assertions.js';

// The built-in drills about load, run end to end at test speed against a real node: a server that
// slows down, and a traffic spike that must not be mistaken for a skew.

describe('built-in drills: load', () => {
  it(
    'slow-backend: the slow server is seen by the latency rules and drained through an approved change',
    async () => {
      const result = await runBuiltin('slow-backend');
      expectPass(result);
      expect(result.figures.detectS, explain(result)).toBeLessThanOrEqual(25);
      const drains = eventsOfKind(result, 'change.applied').filter((event) => JSON.stringify(event.data).includes('web-2 weight 100 -> 0'));
      expect(drains, explain(result)).toHaveLength(1);
    },
    DRILL_TEST_TIMEOUT_MS,
  );

  it(
    'traffic-spike: 3x traffic fires a traffic spike alert that says requests stay evenly spread, and no skew alert',
    async () => {
      const result = await runBuiltin('traffic-spike');
      expectPass(result);
      expect(result.figures.detectS, explain(result)).toBeLessThanOrEqual(30);
      expect(result.figures.diagnosis).toMatch(/Traffic spike: .*requests stay evenly spread/);
      const skews = eventsOfKind(result, 'alert.state_changed').filter((event) => /^alert:(skew|inflight_skew)\//.test(event.subject));
      expect(skews, explain(result)).toHaveLength(0);
    },
    DRILL_TEST_TIMEOUT_MS,
  );
});
