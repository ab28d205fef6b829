import { describe, expect, it } from 'vitest';
import { describeConfigChanges, parseConfigText, type Config } from '../../src/config/index.js';
import type { ContextEvent, RuleFinding } from '../../src/monitor/alert.js';
import { diagnose, localTime } from '../../src/monitor/diagnosis.js';

// Local wall-clock times, so the HH:MM in the sentence is the same in every time zone.
const at = (hours: number, minutes: number, seconds = 0): number => new Date(2024, 4, 1, hours, minutes, seconds).getTime();
const ONSET = at(10, 0, 5);

const PORTAL = `
pools:
  portal:
    persistence: { by: cookie, bound: 1.25 }
    backends:
      - { id: web-1, url: "http://10.0.0.11:8000", weight: 100 }
      - { id: web-2, url: "http://10.0.0.12:8000", weight: 100 }
      - { id: web-3, url: "http://10.0.0.13:8000", weight: 100 }
      - { id: web-4, url: "http://10.0.0.14:8000", weight: 100 }
      - { id: web-5, url: "http://10.0.0.15:8000", weight: 100 }
  static:
    backends:
      - { id: st-1, url: "http://10.0.0.21:8000" }
routes:
  - { match: { host: portal.example.com }, pool: portal }
  - { pool: static }
`;

function diffOf(edit: (config: Config) => void): string[] {
  const before = parseConfigText(PORTAL, 'portal.yaml');
  const after = structuredClone(before);
  edit(after);
  return describeConfigChanges(before, after);
}

/** The events the control plane writes for one applied change: proposed by its author, applied by an approver. */
function appliedChange(changeId: number, author: string, source: string, appliedAt: number, diff: string[]): ContextEvent[] {
  return [
    { at: appliedAt - 60_000, kind: 'change.proposed', actor: author, subject: `change:${changeId}`, data: { changeId, status: 'proposed', source, reason: 'rebalance', baseVersion: changeId - 36, rollbackOf: null, diff } },
    { at: appliedAt - 30_000, kind: 'change.approved', actor: 'alice', subject: `change:${changeId}`, data: { changeId, status: 'approved', comment: null, diff } },
    { at: appliedAt, kind: 'change.applied', actor: 'alice', subject: `change:${changeId}`, data: { changeId, status: 'applied', version: changeId - 35, baseVersion: changeId - 36, rollbackOf: null, diff } },
  ];
}

const raiseTwoWeights = diffOf((config) => {
  config.pools.portal.backends[0].weight = 400;
  config.pools.portal.backends[1].weight = 400;
});

function postmortemSkew(): RuleFinding {
  return {
    rule: 'skew',
    severity: 'critical',
    pool: 'portal',
    backend: undefined,
    backends: ['web-1', 'web-2'],
    summary: 'web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: {
      observedShare: 0.8127,
      expectedShare: 0.4,
      pinnedShare: 0.7391,
      persistence: 'cookie',
      requests: 30_600,
      pValue: 1e-300,
      gStatistic: 25_000,
      'observed.web-1': 0.41,
      'observed.web-2': 0.4027,
      'expected.web-1': 0.2,
      'expected.web-2': 0.2,
    },
    forMs: 3000,
  };
}

const normalTraffic = { rps: 1020.4, baselineRps: 999.6 };

describe('diagnosis', () => {
  it('reads the postmortem case as one sentence: normal traffic, the skew, the pinning and the change that caused it', () => {
    const diagnosis = diagnose({
      finding: postmortemSkew(),
      traffic: normalTraffic,
      spikeRatio: 2,
      dropRatio: 0.5,
      onsetMs: ONSET,
      events: appliedChange(42, 'weights.sh', 'automation', at(9, 58, 10), raiseTwoWeights),
    });
    expect(diagnosis.summary).toBe(
      "Traffic normal (1,020 rps, baseline 1,000). web-1 and web-2 carry 81% of requests, expected 40%. 74% of their requests are pinned by cookie persistence. Likely cause: change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400.",
    );
    expect(diagnosis.causes.map((cause) => cause.kind)).toEqual(['config_change', 'persistence']);
    expect(diagnosis.causes[0]).toMatchObject({ changeId: 42, version: 7 });
  });

  it('reads a 3x spike as a spike with requests evenly spread', () => {
    const spike: RuleFinding = {
      rule: 'traffic_spike',
      severity: 'warning',
      pool: undefined,
      backend: undefined,
      backends: [],
      summary: 'Request rate 3,050 rps is 3.0x the baseline of 1,010 rps.',
      evidence: { rps: 3050, baselineRps: 1010, ratio: 3.02 },
      forMs: 10_000,
    };
    const diagnosis = diagnose({ finding: spike, traffic: { rps: 3050, baselineRps: 1010 }, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events: [], findings: [spike] });
    expect(diagnosis.summary).toBe('Traffic spike: 3,050 rps, 3.0x the baseline of 1,010 rps; requests stay evenly spread.');
    expect(diagnosis.causes).toEqual([]);
  });

  it('says a spike comes with a skew when a skew finding holds in the same tick', () => {
    const spike: RuleFinding = { ...postmortemSkew(), rule: 'traffic_spike', pool: undefined, backends: [], evidence: { rps: 3000, baselineRps: 1000 } };
    const diagnosis = diagnose({ finding: spike, traffic: { rps: 3000, baselineRps: 1000 }, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events: [], findings: [spike, postmortemSkew()] });
    expect(diagnosis.summary).toBe('Traffic spike: 3,000 rps, 3.0x the baseline of 1,000 rps; requests are also skewed in pool portal.');
  });

  it('ranks the change that raised the over-served weights above an unrelated change and a health flap', () => {
    const unrelated = diffOf((config) => {
      config.pools.static.backends[0].weight = 50;
    });
    const events: ContextEvent[] = [
      ...appliedChange(41, 'bob', 'cli', at(9, 52), unrelated),
      ...appliedChange(42, 'weights.sh', 'automation', at(9, 55), raiseTwoWeights),
      { at: at(9, 57), kind: 'health.transition', actor: 'node', subject: 'backend:portal/web-3', data: { pool: 'portal', backend: 'web-3', kind: 'down', reason: '3 failed checks' } },
      { at: at(9, 58), kind: 'health.transition', actor: 'node', subject: 'backend:portal/web-3', data: { pool: 'portal', backend: 'web-3', kind: 'up', reason: '2 good checks' } },
      // After onset: cannot have caused it.
      ...appliedChange(43, 'carol', 'api', at(10, 1), raiseTwoWeights),
    ];
    const finding = { ...postmortemSkew(), evidence: { observedShare: 0.81, expectedShare: 0.4 } };
    const { causes, summary } = diagnose({ finding, traffic: normalTraffic, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events });
    expect(causes.map((cause) => `${cause.kind}${cause.changeId === undefined ? '' : ` ${cause.changeId}`}`)).toEqual(['config_change 42', 'health', 'config_change 41']);
    expect(causes[1].summary).toBe('health changes: web-3 down 09:57, up 09:58');
    expect(causes[2].summary).toBe("change 41 (cli 'bob', 09:52) changed pools.static: st-1 weight 100 -> 50");
    expect(causes[0].score).toBeGreaterThan(causes[1].score);
    expect(summary).toMatch(/Likely cause: change 42 \(automation 'weights\.sh', 09:55\) raised web-1 and web-2 weights 100 -> 400\.$/);
  });

  it('says a raised persistence bound loosened it', () => {
    const events = appliedChange(50, 'weights.sh', 'automation', at(9, 51), ['pools.portal: persistence cookie bound 1.25 -> cookie bound 10']);
    const { causes } = diagnose({ finding: postmortemSkew(), traffic: normalTraffic, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events });
    expect(causes[0].summary).toBe("change 50 (automation 'weights.sh', 09:51) loosened the cookie persistence bound 1.25 -> 10");
  });

  it('names a removed persistence bound as a likely cause of a skew', () => {
    const removeBound = ['pools.portal: persistence cookie bound 1.25 -> cookie bound none'];
    const lowerOthers = diffOf((config) => {
      config.pools.portal.backends[2].weight = 50;
      config.pools.portal.backends[3].weight = 50;
      config.pools.portal.backends[4].weight = 50;
    });
    const events = [...appliedChange(50, 'ops.sh', 'automation', at(9, 51), removeBound), ...appliedChange(51, 'dave', 'api', at(9, 59), lowerOthers)];
    const { causes } = diagnose({ finding: postmortemSkew(), traffic: normalTraffic, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events });
    expect(causes.slice(0, 2).map((cause) => cause.summary)).toEqual([
      "change 51 (api 'dave', 09:59) lowered web-3, web-4 and web-5 weights 100 -> 50",
      "change 50 (automation 'ops.sh', 09:51) removed the cookie persistence bound 1.25",
    ]);
    expect(causes[1].score).toBeGreaterThan(0.6);
  });

  it('says when nothing in the look-back explains the alert, and when the baseline is still learning', () => {
    const finding = { ...postmortemSkew(), evidence: { observedShare: 0.62, expectedShare: 0.4 } };
    const { summary, causes } = diagnose({ finding, traffic: { rps: 220, baselineRps: undefined }, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events: [] });
    expect(causes).toEqual([]);
    expect(summary).toBe('Traffic 220 rps (baseline still learning). web-1 and web-2 carry 62% of requests, expected 40%. No config change or health event in the 10 min before it started.');
  });

  it('reads a drop as a share of the baseline', () => {
    const drop: RuleFinding = { rule: 'traffic_drop', severity: 'warning', pool: undefined, backend: undefined, backends: [], summary: 'Traffic drop.', evidence: { rps: 300, baselineRps: 1000 }, forMs: 10_000 };
    const { summary } = diagnose({ finding: drop, traffic: { rps: 300, baselineRps: 1000 }, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events: [], findings: [drop] });
    expect(summary).toBe('Traffic drop: 300 rps, 30% of the baseline of 1,000 rps; requests stay evenly spread.');
  });

  it('explains a latency alert during a spike with the spike', () => {
    const latency: RuleFinding = { rule: 'latency', severity: 'warning', pool: 'portal', backend: 'web-1', backends: ['web-1'], summary: 'web-1 p95 is 840 ms, above 500 ms', evidence: { p95Ms: 840 }, forMs: 10_000 };
    const { summary } = diagnose({ finding: latency, traffic: { rps: 2500, baselineRps: 1000 }, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events: [] });
    expect(summary).toBe('Traffic spike: 2,500 rps, 2.5x the baseline of 1,000 rps. web-1 p95 is 840 ms, above 500 ms. Likely cause: traffic spike: 2,500 rps, 2.5x the baseline of 1,000 rps.');
  });

  it('explains lost capacity with the health events of the pool', () => {
    const capacity: RuleFinding = { rule: 'capacity', severity: 'critical', pool: 'portal', backend: undefined, backends: [], summary: '1 of 5 backends healthy, minimum 2', evidence: { healthyBackends: 1 }, forMs: 5000 };
    const events: ContextEvent[] = [{ at: at(9, 59), kind: 'health.transition', actor: 'node', subject: 'backend:portal/web-2', data: { pool: 'portal', backend: 'web-2', kind: 'ejected', reason: '5 errors in a row' } }];
    const { summary } = diagnose({ finding: capacity, traffic: normalTraffic, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events });
    expect(summary).toBe('1 of 5 backends healthy, minimum 2. Likely cause: health changes: web-2 ejected 09:59.');
  });

  it('names sticky sessions as the likely cause of a skew when no change explains it', () => {
    const { summary } = diagnose({ finding: postmortemSkew(), traffic: normalTraffic, spikeRatio: 2, dropRatio: 0.5, onsetMs: ONSET, events: [] });
    expect(summary).toBe('Traffic normal (1,020 rps, baseline 1,000). web-1 and web-2 carry 81% of requests, expected 40%. 74% of their requests are pinned by cookie persistence. Likely cause: sticky sessions (cookie persistence).');
  });

  it('writes times as HH:MM of the local clock', () => {
    expect(localTime(at(9, 58, 59))).toBe('09:58');
    expect(localTime(at(23, 5))).toBe('23:05');
  });
});
