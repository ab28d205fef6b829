import { describe, expect, it } from 'vitest';
import { listEvents, verifyEvents, type Store } from '../../src/control/index.js';
import { getDrillRun, listDrillRuns, recordDrillRun } from '../../src/drill/index.js';
import { compareFigure, drillHistory } from '../../src/drill/index.js';
import type { DrillResult } from '../../src/drill/index.js';
import { postmortemDrillResult } from './drill-result-fixture.js';
import { DIALECTS, openStoreForEachTest } from '../control/store-fixture.js';

const DAY = 86_400_000;
const Q1 = Date.UTC(2026, 1, 10, 9, 0, 0);

/** Three quarterly drills of the postmortem scenario that improve, then one that gets worse at detecting. */
function quarterlyRuns(): DrillResult[] {
  return [
    postmortemDrillResult({ startedAt: Q1, detectS: 12.1, mitigateS: 40, slowedShare: 0.2, failedShare: 0.02, verdict: 'fail' }),
    postmortemDrillResult({ startedAt: Q1 + 91 * DAY, detectS: 8, mitigateS: 20, slowedShare: 0.08, failedShare: 0.01 }),
    postmortemDrillResult({ startedAt: Q1 + 182 * DAY, detectS: 6.3, mitigateS: 9.8, slowedShare: 0.05, failedShare: 0.003 }),
  ];
}

describe.each(DIALECTS)('drill runs in the store on %s', (dialect) => {
  let store: Store;
  openStoreForEachTest(dialect, (_fixture, opened) => {
    store = opened;
  });

  it('records a run with its figures and a drill.recorded event, and reads the whole result back', async () => {
    const result = postmortemDrillResult();
    const id = await recordDrillRun(store, result, { actor: 'alice' });
    const run = await getDrillRun<DrillResult>(store, id);
    expect(run).toMatchObject({ id, scenario: 'postmortem-2024-05-01', verdict: 'pass', speed: 4, startedAt: result.startedAt, endedAt: result.endedAt, detectS: 6.3, mitigateS: 9.8, slowedShare: 0.042, failedShare: 0.003, diagnosisOk: true });
    expect(run!.result).toEqual(JSON.parse(JSON.stringify(result)));

    const events = await listEvents(store, { kind: 'drill.recorded' });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'alice', subject: `drill:${id}`, data: { id, scenario: 'postmortem-2024-05-01', verdict: 'pass' } });
    expect(await verifyEvents(store)).toMatchObject({ ok: true });
    expect(await getDrillRun(store, id + 1000)).toBeUndefined();
  });

  it('stores a run that did not detect anything with null figures, and an error run without shares', async () => {
    const base = postmortemDrillResult();
    const missed = { ...base, verdict: 'fail' as const, figures: { ...base.figures, detectS: undefined, mitigateS: undefined, diagnosisCorrect: undefined } };
    const broken = { ...base, verdict: 'error' as const, error: 'the drill node did not start', figures: { ...base.figures, slowedShare: Number.NaN } };
    const missedRun = await getDrillRun(store, await recordDrillRun(store, missed));
    expect(missedRun).toMatchObject({ detectS: null, mitigateS: null, diagnosisOk: null, verdict: 'fail' });
    const brokenRun = await getDrillRun<DrillResult>(store, await recordDrillRun(store, broken));
    expect(brokenRun).toMatchObject({ verdict: 'error', slowedShare: null, failedShare: null });
    expect(brokenRun!.result.figures.slowedShare).toBeNull();
    expect((await listEvents(store, { kind: 'drill.recorded' }))[0]!.actor).toBe('drill');
  });

  it('lists runs newest first, by scenario and with a limit', async () => {
    const ids: number[] = [];
    for (const result of quarterlyRuns()) ids.push(await recordDrillRun(store, result));
    const other = postmortemDrillResult({ startedAt: Q1 + 100 * DAY });
    const otherId = await recordDrillRun(store, { ...other, scenario: { ...other.scenario, name: 'backend-slow' } });
    expect((await listDrillRuns(store)).map((run) => run.id)).toEqual([ids[2], otherId, ids[1], ids[0]]);
    expect((await listDrillRuns(store, { scenario: 'postmortem-2024-05-01', limit: 2 })).map((run) => run.id)).toEqual([ids[2], ids[1]]);
    expect(await listDrillRuns(store, { scenario: 'nothing-like-it' })).toEqual([]);
  });

  it('shows the history per scenario in time order with the trend of each figure', async () => {
    for (const result of quarterlyRuns().reverse()) await recordDrillRun(store, result);
    const other = postmortemDrillResult({ startedAt: Q1 });
    await recordDrillRun(store, { ...other, scenario: { ...other.scenario, name: 'backend-slow' } });

    const histories = await drillHistory(store);
    expect(histories.map((history) => history.scenario)).toEqual(['backend-slow', 'postmortem-2024-05-01']);
    expect(histories[0]!.runs).toHaveLength(1);
    expect(histories[0]!.trends.every((trend) => trend.vsPrevious === undefined)).toBe(true);

    const [postmortem] = await drillHistory(store, 'postmortem-2024-05-01');
    expect(postmortem!.runs.map((run) => run.detectS)).toEqual([12.1, 8, 6.3]);
    expect(postmortem!.runs.map((run) => run.verdict)).toEqual(['fail', 'pass', 'pass']);
    const detect = postmortem!.trends.find((trend) => trend.figure === 'detect_s')!;
    expect(detect).toEqual({ figure: 'detect_s', latest: 6.3, previous: 8, first: 12.1, median: (12.1 + 8) / 2, vsPrevious: 'better', vsFirst: 'better', vsMedian: 'better' });
    const failed = postmortem!.trends.find((trend) => trend.figure === 'failed_share')!;
    expect(failed).toMatchObject({ latest: 0.003, previous: 0.01, vsPrevious: 'better', vsFirst: 'better' });

    // A fourth drill where no alert fired: detecting got worse, whatever the other figures say.
    const base = postmortemDrillResult({ startedAt: Q1 + 273 * DAY, slowedShare: 0.05 });
    await recordDrillRun(store, { ...base, verdict: 'fail', figures: { ...base.figures, detectS: undefined } });
    const [latest] = await drillHistory(store, 'postmortem-2024-05-01', { limit: 2 });
    expect(latest!.runs.map((run) => run.detectS)).toEqual([6.3, null]);
    expect(latest!.trends.find((trend) => trend.figure === 'detect_s')).toMatchObject({ latest: null, previous: 6.3, vsPrevious: 'worse', vsFirst: 'worse' });
    expect(latest!.trends.find((trend) => trend.figure === 'slowed_share')).toMatchObject({ latest: 0.05, previous: 0.05, vsPrevious: 'same' });
  });

  it('leaves a run that could not run out of the trends', async () => {
    const [first, second] = quarterlyRuns();
    await recordDrillRun(store, first!);
    await recordDrillRun(store, second!);
    const broken = postmortemDrillResult({ startedAt: Q1 + 200 * DAY, verdict: 'error' });
    await recordDrillRun(store, { ...broken, figures: { ...broken.figures, detectS: undefined } });
    const [history] = await drillHistory(store);
    expect(history!.runs.map((run) => run.verdict)).toEqual(['fail', 'pass', 'error']);
    expect(history!.trends.find((trend) => trend.figure === 'detect_s')).toMatchObject({ latest: 8, previous: 12.1, vsPrevious: 'better' });
  });
});

describe('comparing a drill figure with an earlier one', () => {
  it('calls a lower figure better, a higher worse, and a difference within the noise the same', () => {
    expect(compareFigure('detect_s', 6.3, 12.1)).toBe('better');
    expect(compareFigure('detect_s', 12.1, 6.3)).toBe('worse');
    expect(compareFigure('detect_s', 6.3, 6.6)).toBe('same');
    expect(compareFigure('mitigate_s', 100, 104)).toBe('same');
    expect(compareFigure('failed_share', 0.003, 0.004)).toBe('same');
    expect(compareFigure('failed_share', 0.003, 0.02)).toBe('better');
    expect(compareFigure('detect_s', null, 6.3)).toBe('worse');
    expect(compareFigure('detect_s', 6.3, null)).toBe('better');
    expect(compareFigure('detect_s', null, null)).toBe('same');
  });
});
