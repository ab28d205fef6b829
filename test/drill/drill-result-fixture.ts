import type { DrillResult } from '../../src/drill/drill-result.js';

// A hand-built DrillResult shaped like the postmortem rehearsed: traffic normal, an automation script
// raises two weights under cookie persistence, the skew alert fires, the change is rolled back.
// Report, store, CLI and admin tests share it; `overrides` changes a run's figures for history tests.

const STARTED = Date.UTC(2026, 10, 29, 9, 0, 0);
const FAULT = STARTED + 20_000;

export function postmortemDrillResult(overrides: { startedAt?: number; detectS?: number; mitigateS?: number; slowedShare?: number; failedShare?: number; verdict?: DrillResult['verdict'] } = {}): DrillResult {
  const startedAt = overrides.startedAt ?? STARTED;
  const shift = startedAt - STARTED;
  const faultAt = FAULT + shift;
  const detectS = overrides.detectS ?? 6.3;
  const mitigateS = overrides.mitigateS ?? 9.8;
  const slowedShare = overrides.slowedShare ?? 0.042;
  const failedShare = overrides.failedShare ?? 0.003;
  const requests = 12_000;
  return {
    scenario: {
      name: 'postmortem-2024-05-01',
      title: 'Sticky sessions and a weight script',
      description: 'Two of five servers get 80% of traffic: cookie persistence plus an automation script that raises their weights.',
      file: 'builtin:postmortem-2024-05-01',
    },
    speed: 4,
    startedAt,
    endedAt: startedAt + 60_000,
    faultAt,
    verdict: overrides.verdict ?? 'pass',
    figures: {
      detectS,
      mitigateS,
      requests,
      slowed: Math.round(requests * slowedShare),
      failed: Math.round(requests * failedShare),
      slowedShare,
      failedShare,
      diagnosisCorrect: true,
      diagnosis: "web-1 and web-2 carry 81% of requests, expected 40%. Likely cause: change 2 (automation 'weights.sh') raised web-1 and web-2 weights 100 -> 400.",
    },
    targets: [
      { name: 'detect_s', expected: '<= 10 s', measured: `${detectS.toFixed(1)} s`, passed: detectS <= 10 },
      { name: 'mitigate_s', expected: '<= 30 s', measured: `${mitigateS.toFixed(1)} s`, passed: mitigateS <= 30 },
      { name: 'diagnosis', expected: 'names config_change', measured: 'config_change', passed: true },
      { name: 'failed_share', expected: '<= 1%', measured: `${(failedShare * 100).toFixed(1)}%`, passed: failedShare <= 0.01 },
    ],
    timeline: [
      { at: startedAt + 1000, offsetS: -19, source: 'drill', kind: 'traffic', text: 'traffic started: 200 sessions, 500 rps' },
      { at: faultAt, offsetS: 0, source: 'drill', kind: 'inject', text: "injecting: change by automation 'weights.sh'" },
      { at: faultAt + detectS * 1000, offsetS: detectS, source: 'evenkeel', kind: 'alert.state_changed', text: 'skew alert firing on pool portal' },
      { at: faultAt + mitigateS * 1000, offsetS: mitigateS, source: 'evenkeel', kind: 'change.rolled_back', text: 'rolled back change 2 | version 1 restored' },
    ],
    events: [
      { seq: 1, at: startedAt + 200, kind: 'config.initial', actor: 'file', subject: 'config:1', data: null },
      { seq: 2, at: faultAt, kind: 'change.applied', actor: 'weights.sh', subject: 'change:2', data: { version: 2, reason: 'rebalance' } },
      { seq: 3, at: faultAt + detectS * 1000, kind: 'alert.state_changed', actor: 'monitor', subject: 'alert:skew/portal/*', data: { state: 'firing', summary: 'x'.repeat(300) } },
    ],
    incidentReports: { '1': '# Incident 1: skew on pool portal\n\nDetected by the skew rule.\n' },
  };
}
