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
      // The node's postmortem draft tells the original document's story with this run's times: the
      // script's change as the trigger, detection and resolution after the first sign, resolved.
      const reports = Object.values(result.incidentReports);
      expect(reports, explain(result)).toHaveLength(1);
      const report = reports[0];
      const headings = [...report.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
      expect(headings).toEqual(['Summary', 'Impact', 'Trigger', 'Root cause candidates', 'Detection', 'Resolution', 'Timeline', 'Contributing factors', 'Lessons learned', 'Action items']);
      const section = (name: string) => report.split(`## ${name}\n`)[1].split('\n## ')[0];
      expect(section('Trigger')).toMatch(/^Change 1 \(automation 'weights\.sh'.*raised web-1 and web-2 weights 100 -> 400.*loosened the cookie persistence bound 1\.25 -> 10/m);
      expect(section('Resolution'), report).toMatch(/\*\*Resolved:\*\* \d\d:\d\d:\d\d UTC, [\d.]+ (s|min) after the first sign/);
      const detectedS = Number(/\*\*Detected:\*\* [\d:]+ UTC, ([\d.]+) s after the first sign/.exec(section('Detection'))?.[1]);
      // From the event log: the first sign is when the first alert that went on to fire became pending.
      const alertEvents = eventsOfKind(result, 'alert.state_changed');
      const fired = alertEvents.filter((event) => (event.data as { to?: string }).to === 'firing');
      const firedSubjects = new Set(fired.map((event) => event.subject));
      const firstSign = Math.min(...alertEvents.filter((event) => firedSubjects.has(event.subject) && (event.data as { to?: string }).to === 'pending').map((event) => event.at));
      expect(fired.length).toBeGreaterThan(0);
      // The report prints whole seconds from 10 s on (±0.5 s), and the event log stamps a transition
      // when it is written, a little after the evaluation the report's milestones come from.
      expect(Math.abs(detectedS - (fired[0].at - firstSign) / 1000), report).toBeLessThanOrEqual(1);
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
