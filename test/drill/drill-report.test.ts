import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderDrillReportMarkdown, writeDrillReport } from '../../src/drill/drill-report.js';
import { postmortemDrillResult } from './drill-result-fixture.js';

/** The lines of the Markdown section headed `## title`, up to the next section. */
function section(markdown: string, title: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${title}`);
  expect(start, `section ${title}`).toBeGreaterThan(0);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('## '));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => line.trim() !== '');
}

describe('drill report in Markdown', () => {
  it('names the scenario and the verdict in the title and describes the scenario', () => {
    const markdown = renderDrillReportMarkdown(postmortemDrillResult());
    expect(markdown.split('\n')[0]).toBe('# Drill report: Sticky sessions and a weight script (postmortem-2024-05-01): PASS');
    expect(markdown).toContain('Two of five servers get 80% of traffic');
    expect(markdown).toContain('| Verdict | PASS: all 4 targets met |');
    expect(markdown).toContain('| Speed | 4x |');
  });

  it('shows one row per target with expected, measured and pass or FAIL', () => {
    const result = postmortemDrillResult({ detectS: 14.5, verdict: 'fail' });
    const markdown = renderDrillReportMarkdown(result);
    expect(markdown.split('\n')[0]).toMatch(/: FAIL$/);
    expect(markdown).toContain('| Verdict | FAIL: 1 of 4 targets missed |');
    const rows = section(markdown, 'Targets');
    expect(rows[0]).toBe('| Target | Expected | Measured | Result |');
    expect(rows.slice(2)).toEqual([
      '| detect_s | <= 10 s | 14.5 s | **FAIL** |',
      '| mitigate_s | <= 30 s | 9.8 s | pass |',
      '| diagnosis | names config_change | config_change | pass |',
      '| failed_share | <= 1% | 0.3% | pass |',
    ]);
  });

  it('lists the measured figures, saying so when no alert fired and nothing was mitigated', () => {
    const figures = section(renderDrillReportMarkdown(postmortemDrillResult()), 'Figures').join('\n');
    expect(figures).toContain('| Time to detect (fault to the first firing alert) | 6.3 s |');
    expect(figures).toContain('| Time to mitigate (fault to rollback or fix) | 9.8 s |');
    expect(figures).toContain('| Slowed (slower than the SLO) | 504 (4.2%) |');
    expect(figures).toContain('| Failed (5xx, connection error, timeout) | 36 (0.3%) |');
    expect(figures).toContain("Likely cause: change 2 (automation 'weights.sh')");
    expect(figures).toContain('| Diagnosis names the expected cause | yes |');

    const base = postmortemDrillResult();
    const quiet = { ...base, figures: { ...base.figures, detectS: undefined, mitigateS: undefined, diagnosis: undefined, diagnosisCorrect: undefined } };
    const quietFigures = section(renderDrillReportMarkdown(quiet), 'Figures').join('\n');
    expect(quietFigures).toContain('| no alert fired |');
    expect(quietFigures).toContain('| not mitigated |');
    expect(quietFigures).toContain('| Diagnosis names the expected cause | not expected |');
  });

  it('lays out the timeline by offset from the fault, with who acted, keeping table cells intact', () => {
    const rows = section(renderDrillReportMarkdown(postmortemDrillResult()), 'Timeline');
    expect(rows[0]).toBe('| From the fault | Source | What |');
    expect(rows.slice(2)).toEqual([
      '| -19.0 s | drill | traffic started: 200 sessions, 500 rps |',
      "| +0.0 s | drill | injecting: change by automation 'weights.sh' |",
      '| +6.3 s | evenkeel | skew alert firing on pool portal |',
      '| +9.8 s | evenkeel | rolled back change 2 \\| version 1 restored |',
    ]);
  });

  it('excerpts the event log with time, kind, actor, subject and shortened data', () => {
    const rows = section(renderDrillReportMarkdown(postmortemDrillResult()), 'Event log excerpt');
    expect(rows[0]).toBe('| Time | Kind | Actor | Subject | Data |');
    expect(rows).toHaveLength(2 + 3);
    expect(rows[3]).toBe('| 2026-11-29T09:00:20Z | change.applied | weights.sh | change:2 | {"version":2,"reason":"rebalance"} |');
    const long = rows[4]!.split(' | ')[4]!;
    expect(long.endsWith('… |')).toBe(true);
    expect(long.length).toBeLessThan(130);
  });

  it('links the incident reports, and says when the drill could not run', () => {
    const markdown = renderDrillReportMarkdown(postmortemDrillResult());
    expect(section(markdown, 'Incident reports')).toEqual(['- [Incident 1](incident-1.md)']);

    const failed = { ...postmortemDrillResult(), verdict: 'error' as const, error: 'the drill node did not start: port 18080 in use', incidentReports: {} };
    const errorMarkdown = renderDrillReportMarkdown(failed);
    expect(errorMarkdown.split('\n')[0]).toMatch(/: ERROR$/);
    expect(errorMarkdown).toContain('**The drill could not run:** the drill node did not start: port 18080 in use');
    expect(section(errorMarkdown, 'Incident reports')).toEqual(['No incident opened during the drill.']);
  });
});

describe('writeDrillReport', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the Markdown and JSON reports and one file per incident report, creating the directory', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ek-drill-report-'));
    const target = join(dir, 'reports', 'q4');
    const result = postmortemDrillResult();
    const paths = await writeDrillReport(target, result);
    expect(paths).toEqual([join(target, 'drill-report.md'), join(target, 'drill-report.json'), join(target, 'incident-1.md')]);
    expect(readFileSync(paths[0]!, 'utf8')).toBe(renderDrillReportMarkdown(result));
    expect(JSON.parse(readFileSync(paths[1]!, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    expect(readFileSync(paths[2]!, 'utf8')).toBe('# Incident 1: skew on pool portal\n\nDetected by the skew rule.\n');
  });
});
