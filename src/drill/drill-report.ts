import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DrillEvent, DrillResult, DrillTimelineEntry } from './drill-result.js';

// The drill report (issue 6): what a team reads after a drill, and keeps. The Markdown says, in this
// order, what was rehearsed and whether it passed, how each target went, the measured figures, a
// timeline of what the drill did and what evenkeel did (offsets from the fault, as the postmortem's
// timeline is read), the audit log excerpt, and links to the incident reports the drill produced.
// The JSON is the DrillResult itself, so scripts and `drill history` read the same figures.

export const DRILL_REPORT_MARKDOWN = 'drill-report.md';
export const DRILL_REPORT_JSON = 'drill-report.json';
/** Event data longer than this is cut in the Markdown excerpt (the JSON report has all of it). */
const EVENT_DATA_CHARS = 120;

/** The drill report as Markdown. */
export function renderDrillReportMarkdown(result: DrillResult): string {
  const lines: string[] = [];
  const { scenario } = result;
  lines.push(`# Drill report: ${inline(scenario.title)} (${inline(scenario.name)}): ${verdictWord(result.verdict)}`, '');
  if (scenario.description.trim() !== '') lines.push(scenario.description.trim(), '');
  lines.push(
    table(
      ['', ''],
      [
        ['Scenario', `${scenario.name} (${scenario.file})`],
        ['Started', isoTime(result.startedAt)],
        ['Duration', seconds((result.endedAt - result.startedAt) / 1000)],
        ['Fault injected', result.faultAt === undefined ? 'never' : `${isoTime(result.faultAt)} (${seconds((result.faultAt - result.startedAt) / 1000)} after the start)`],
        ['Speed', `${result.speed}x`],
        ['Verdict', `${verdictWord(result.verdict)}: ${verdictSummary(result)}`],
      ],
    ),
  );
  if (result.verdict === 'error') lines.push('', `**The drill could not run:** ${inline(result.error ?? 'no reason was recorded')}`);

  lines.push('', '## Targets', '');
  if (result.targets.length === 0) lines.push('The scenario sets no targets.');
  else lines.push(table(['Target', 'Expected', 'Measured', 'Result'], result.targets.map((target) => [target.name, target.expected, target.measured, target.passed ? 'pass' : '**FAIL**'])));

  const { figures } = result;
  lines.push(
    '',
    '## Figures',
    '',
    table(
      ['Figure', 'Value'],
      [
        ['Time to detect (fault to the first firing alert)', figures.detectS === undefined ? 'no alert fired' : seconds(figures.detectS)],
        ['Time to mitigate (fault to rollback or fix)', figures.mitigateS === undefined ? 'not mitigated' : seconds(figures.mitigateS)],
        ['Requests from the fault on', String(figures.requests)],
        ['Slowed (slower than the SLO)', `${figures.slowed} (${percent(figures.slowedShare)})`],
        ['Failed (5xx, connection error, timeout)', `${figures.failed} (${percent(figures.failedShare)})`],
        ['Diagnosis', figures.diagnosis ?? 'none'],
        ['Diagnosis names the expected cause', figures.diagnosisCorrect === undefined ? 'not expected' : figures.diagnosisCorrect ? 'yes' : 'no'],
      ],
    ),
  );

  lines.push('', '## Timeline', '');
  if (result.timeline.length === 0) lines.push('Nothing was recorded.');
  else lines.push(table(['From the fault', 'Source', 'What'], [...result.timeline].sort(byTime).map((entry) => [offset(entry), entry.source, entry.text])));

  lines.push('', '## Event log excerpt', '');
  if (result.events.length === 0) lines.push("The drill node's audit log has no events for this drill.");
  else lines.push(table(['Time', 'Kind', 'Actor', 'Subject', 'Data'], result.events.map((event) => [isoTime(event.at), event.kind, event.actor, event.subject, shortData(event)])));

  const incidents = Object.keys(result.incidentReports);
  lines.push('', '## Incident reports', '');
  if (incidents.length === 0) lines.push('No incident opened during the drill.');
  else for (const id of incidents) lines.push(`- [Incident ${inline(id)}](${incidentReportFile(id)})`);
  return `${lines.join('\n')}\n`;
}

/**
 * Writes drill-report.md, drill-report.json and incident-<id>.md for each incident report into `dir`
 * (created if missing); resolves to the paths written, the Markdown report first.
 */
export async function writeDrillReport(dir: string, result: DrillResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [DRILL_REPORT_MARKDOWN, renderDrillReportMarkdown(result)],
    [DRILL_REPORT_JSON, `${JSON.stringify(result, null, 2)}\n`],
    ...Object.entries(result.incidentReports).map(([id, markdown]): [string, string] => [incidentReportFile(id), markdown.endsWith('\n') ? markdown : `${markdown}\n`]),
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const file = path.join(dir, name);
    await writeFile(file, text);
    written.push(file);
  }
  return written;
}

/** incident-<id>.md; an id is a number in practice, anything else is made safe for a file name. */
export function incidentReportFile(id: string): string {
  return `incident-${id.replace(/[^A-Za-z0-9_-]/g, '_')}.md`;
}

function verdictWord(verdict: DrillResult['verdict']): string {
  return verdict.toUpperCase();
}

function verdictSummary(result: DrillResult): string {
  if (result.verdict === 'error') return 'the drill itself failed';
  const failed = result.targets.filter((target) => !target.passed).length;
  if (failed === 0) return `all ${result.targets.length} targets met`;
  return `${failed} of ${result.targets.length} targets missed`;
}

function byTime(a: DrillTimelineEntry, b: DrillTimelineEntry): number {
  return a.at - b.at;
}

function offset(entry: DrillTimelineEntry): string {
  const sign = entry.offsetS < 0 ? '-' : '+';
  return `${sign}${Math.abs(entry.offsetS).toFixed(1)} s`;
}

function shortData(event: DrillEvent): string {
  if (event.data === null || event.data === undefined) return '';
  const text = JSON.stringify(event.data);
  return text.length <= EVENT_DATA_CHARS ? text : `${text.slice(0, EVENT_DATA_CHARS - 1)}…`;
}

function seconds(value: number): string {
  return `${value.toFixed(1)} s`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One line of text, safe inside a Markdown table cell or heading. */
function inline(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const row = (cells: readonly string[]) => `| ${cells.map(inline).join(' | ')} |`;
  return [row(headers), `|${headers.map(() => '---').join('|')}|`, ...rows.map(row)].join('\n');
}
