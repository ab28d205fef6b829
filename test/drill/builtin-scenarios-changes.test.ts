import { describe, expect, it } from 'vitest';
import { DRILL_TEST_TIMEOUT_MS, eventsOfKind, explain, expectPass, routedShare, runBuiltin } from './drill-assertions.js';

// The two built-in drills about configuration changes, run end to end at test speed against a real
// node: the postmortem itself, and an automation token that keeps sending bad weights.

describe('built-in drills: changes', () => {
  it(
    'postmortem-2024-05-01: the skew of 2 overloaded servers is detected within 10 s, blamed on the change and rolled back',
    async () => {
      const result = await runBuiltin('postmortem-2024-05-01');
      expectPass(result);
      const { figures } = result;
      expect(figures.detectS, explain(result)).toBeLessThanOrEqual(10);
      expect(figures.mitigateS, explain(result)).toBeLessThanOrEqual(30);
      expect(figures.diagnosisCorrect).toBe(true);
      expect(figures.diagnosis).toMatch(/Likely cause: change \d+ \(automation 'weights\.sh'/);
      // The sessions were pinned on web-1 and web-2: they took most of the traffic until the rollback...
      expect(routedShare(result, 'routed from the start of the traffic to the mitigation', ['web-1', 'web-2']), explain(result)).toBeGreaterThanOrEqual(0.7);
      // ...more than they could serve: users felt it.
      expect(figures.slowed).toBeGreaterThan(0);
      const rollbacks = eventsOfKind(result, 'change.applied').filter((event) => event.actor === 'monitor');
      expect(rollbacks, explain(result)).toHaveLength(1);
      expect(rollbacks[0].data).toMatchObject({ rollbackOf: 1 });
    },
    DRILL_TEST_TIMEOUT_MS,
  );

  it(
    'weight-script-runaway: every bad change is refused or held, and the live config never moves',
    async () => {
      const result = await runBuiltin('weight-script-runaway');
      expectPass(result);
      expect(result.targets.find((target) => target.name === 'config_unchanged')?.passed).toBe(true);
      const refused = result.timeline.filter((entry) => entry.kind === 'change.refused');
      const held = result.timeline.filter((entry) => entry.kind === 'change.held');
      // 8 changes cycling through 4 weight maps: 3 of each 4 break a guardrail, 1 waits for a human.
      expect(refused, explain(result)).toHaveLength(6);
      expect(held, explain(result)).toHaveLength(2);
      expect(eventsOfKind(result, 'change.applied'), explain(result)).toHaveLength(0);
      expect(eventsOfKind(result, 'change.rejected').every((event) => event.actor === 'guardrail')).toBe(true);
    },
    DRILL_TEST_TIMEOUT_MS,
  );
});
