import { describe, expect, it } from 'vitest';
import { DRILL_TEST_TIMEOUT_MS, eventsOfKind, explain, expectPass, runBuiltin } from './drill-assertions.js';

// The built-in drills about servers dying, run end to end at test speed against a real node.

describe('built-in drills: health', () => {
  it(
    'backend-crash: two crashed servers are detected, blamed on health, restarted, and few requests fail',
    async () => {
      const result = await runBuiltin('backend-crash');
      expectPass(result);
      expect(result.figures.detectS, explain(result)).toBeLessThanOrEqual(15);
      expect(result.figures.diagnosisCorrect).toBe(true);
      expect(result.figures.failedShare).toBeLessThanOrEqual(0.02);
      expect(result.timeline.some((entry) => entry.kind === 'mitigation' && /web-4 and web-5 restarted/.test(entry.text))).toBe(true);
      const downs = eventsOfKind(result, 'health.transition').filter((event) => /web-[45]$/.test(event.subject));
      expect(downs.length, explain(result)).toBeGreaterThanOrEqual(2);
    },
    DRILL_TEST_TIMEOUT_MS,
  );

  it(
    'flapping-health: a server in a crash loop is kept away from users, a flapping alert names it, and no skew or error alert fires',
    async () => {
      const result = await runBuiltin('flapping-health');
      expectPass(result);
      expect(result.figures.failedShare, explain(result)).toBeLessThanOrEqual(0.02);
      expect(result.figures.detectS, explain(result)).toBeLessThanOrEqual(24);
      expect(result.figures.diagnosisCorrect).toBe(true);
      const flapping = result.timeline.find((entry) => entry.kind === 'alert.state_changed' && /flapping\/portal\/web-4 pending -> firing/.test(entry.text));
      expect(flapping, explain(result)).toBeDefined();
      const flaps = eventsOfKind(result, 'health.transition').filter((event) => event.subject.endsWith('/web-4'));
      expect(flaps.length, explain(result)).toBeGreaterThanOrEqual(4);
    },
    DRILL_TEST_TIMEOUT_MS,
  );
});
