import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/control/index.js';
import { recordDrillRun } from '../../src/drill/index.js';
import { postmortemDrillResult } from '../drill/drill-result-fixture.js';

// `evenkeel drill history` through the built bin (npm test builds first) against a temp SQLite store
// holding two quarterly runs of the postmortem drill: the second detected and mitigated faster.

const BIN = resolve(import.meta.dirname, '../../bin/evenkeel.js');
const Q3 = Date.UTC(2026, 7, 11, 9, 0, 0);
const Q4 = Date.UTC(2026, 10, 10, 9, 0, 0);

function evenkeel(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let storeUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ek-drill-history-'));
  storeUrl = `sqlite://${join(dir, 'drills.db')}`;
  const store = await openStore(storeUrl);
  try {
    await recordDrillRun(store, postmortemDrillResult({ startedAt: Q3, detectS: 12.1, mitigateS: 40, slowedShare: 0.2, failedShare: 0.02, verdict: 'fail' }));
    await recordDrillRun(store, postmortemDrillResult({ startedAt: Q4, detectS: 6.3, mitigateS: 9.8, slowedShare: 0.05, failedShare: 0.019 }));
  } finally {
    await store.close();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('evenkeel drill history', () => {
  it('shows each run of the scenario in time order and says which figures got better', () => {
    const result = evenkeel('drill', 'history', '--store', storeUrl);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        'postmortem-2024-05-01: 2 runs',
        'DATE                  SPEED  VERDICT  DETECT  MITIGATE  SLOWED  FAILED',
        '2026-08-11T09:00:00Z  4x     FAIL     12.1 s  40.0 s    20.0%   2.0%',
        '2026-11-10T09:00:00Z  4x     PASS     6.3 s   9.8 s     5.0%    1.9%',
        'trend (latest vs previous; vs first; vs median of earlier runs):',
        '  detect    12.1 s -> 6.3 s, better; first 12.1 s: better; median 12.1 s: better',
        '  mitigate  40.0 s -> 9.8 s, better; first 40.0 s: better; median 40.0 s: better',
        '  slowed    20.0% -> 5.0%, better; first 20.0%: better; median 20.0%: better',
        '  failed    2.0% -> 1.9%, same; first 2.0%: same; median 2.0%: same',
        '',
      ].join('\n'),
    );
  });

  it('prints the runs and trends as JSON with --json, and only the last runs with --limit', () => {
    const result = evenkeel('drill', 'history', 'postmortem-2024-05-01', '--store', storeUrl, '--json', '--limit', '1');
    expect(result.status, result.stderr).toBe(0);
    const histories = JSON.parse(result.stdout);
    expect(histories).toHaveLength(1);
    expect(histories[0].scenario).toBe('postmortem-2024-05-01');
    expect(histories[0].runs).toHaveLength(1);
    expect(histories[0].runs[0]).toMatchObject({ startedAt: Q4, verdict: 'pass', detectS: 6.3, mitigateS: 9.8 });
    expect(histories[0].trends.map((trend: { figure: string }) => trend.figure)).toEqual(['detect_s', 'mitigate_s', 'slowed_share', 'failed_share']);
  });

  it('says so when a scenario has no runs, and exits 2 for a store that does not exist', () => {
    const none = evenkeel('drill', 'history', 'backend-slow', '--store', storeUrl);
    expect(none.status, none.stderr).toBe(0);
    expect(none.stdout).toBe(`no runs of scenario backend-slow recorded in ${storeUrl}\n`);

    const missing = evenkeel('drill', 'history');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`there is no store at sqlite://${join(dir, 'data', 'evenkeel.db')}; pass --store with the store the drills were recorded in\n`);
    expect(missing.stdout).toBe('');
  });
});
