import { rankCauses, type AlertRule, type Cause, type CauseKind, type ContextEvent, ALERT_RULES } from '../monitor/index.js';
import type { AuditEvent } from '../control/index.js';
import { fieldOf, numberField, stringField, stringsField } from './report-events.js';
import { formatDuration, formatUtcTime, listOfNames } from './report-format.js';

// Root-cause candidates of an incident: what changed, or what condition held, in the minutes before its
// first sign, with the evidence from the audit log. The postmortem took 45 minutes to look at the load
// balancer because people chased a traffic spike and a DDoS first; a report that puts the automation
// script's change first, with its diff, who approved it and when, shortens the next one. Candidates
// come from three places: the changes applied in the look-back (scored by the monitor's own reading of
// their diff against the incident's first alert), the health transitions of the pool up to detection,
// and the causes the alerts' diagnosis recorded when they fired (sticky sessions, a traffic spike).

export interface RootCauseCandidate {
  readonly kind: CauseKind;
  /** One line: "change 7 (automation 'weights.sh', 09:58 UTC) raised web-1 and web-2 weights 100 -> 400". */
  readonly summary: string;
  /** The lines of the audit log that support it: who proposed, approved and applied, the diff, what the alert said. */
  readonly evidence: readonly string[];
  /** When it happened: the change applied, the first health transition, the alert that saw the condition fired. */
  readonly at: number;
  readonly changeId?: number;
  /** 0..1, as the monitor's diagnosis scores causes (docs/monitoring.md, "Causes and how they are ranked"). */
  readonly score: number;
  /** True when a related alert's diagnosis named it when the alert fired. */
  readonly isNamedByAlert: boolean;
}

/** The trigger: the top candidate in one sentence. */
export interface ReportTrigger {
  readonly kind: CauseKind | 'unknown';
  readonly text: string;
  readonly at: number | null;
  readonly changeId?: number;
}

/** A fired alert as the candidates need it: its identity and the causes recorded when it fired. */
export interface FiredAlertCauses {
  readonly fingerprint: string;
  readonly rule: string;
  readonly pool: string | null;
  readonly backend: string | null;
  readonly firingAt: number;
  readonly causes: readonly Cause[];
  readonly evidence: Readonly<Record<string, unknown>>;
}

export interface CandidateInput {
  /** Every event of the report's window, oldest first. */
  readonly events: readonly AuditEvent[];
  /** Events of the changes that became candidates, by change id (their proposal may predate the window). */
  readonly changeEvents: ReadonlyMap<number, readonly AuditEvent[]>;
  readonly pool: string;
  readonly backends: readonly string[];
  readonly firstSignAt: number;
  /** Health transitions up to this moment count (a crash can be seen by an alert before the checks mark it down). */
  readonly detectedAt: number;
  readonly lookBackMs: number;
  /** The incident's alerts that fired, in order of firing. */
  readonly alerts: readonly FiredAlertCauses[];
}

/** The ids of changes applied in the look-back before the first sign or named by an alert: their events are read whole. */
export function candidateChangeIds(events: readonly AuditEvent[], alerts: readonly FiredAlertCauses[], firstSignAt: number, lookBackMs: number): number[] {
  const ids = new Set<number>();
  for (const event of events) {
    if (event.kind !== 'change.applied' || event.at < firstSignAt - lookBackMs || event.at > firstSignAt) continue;
    const id = numberField(event.data, 'changeId');
    if (id !== undefined) ids.add(id);
  }
  for (const alert of alerts) for (const cause of alert.causes) if (cause.kind === 'config_change' && cause.changeId !== undefined) ids.add(cause.changeId);
  return [...ids].sort((a, b) => a - b);
}

/** Candidates ranked: highest score first; on a tie, those an alert named, then the nearest to the first sign. */
export function rankRootCauseCandidates(input: CandidateInput): RootCauseCandidate[] {
  const candidates = [...changeCandidates(input), ...healthCandidates(input), ...conditionCandidates(input)];
  return candidates.sort(
    (a, b) =>
      b.score - a.score ||
      Number(b.isNamedByAlert) - Number(a.isNamedByAlert) ||
      Math.abs(input.firstSignAt - a.at) - Math.abs(input.firstSignAt - b.at),
  );
}

/** The top candidate in one sentence, or a sentence that says nothing was found. */
export function triggerOf(candidates: readonly RootCauseCandidate[], firstSignAt: number, lookBackMs: number): ReportTrigger {
  const top = candidates[0];
  if (top === undefined) {
    return { kind: 'unknown', text: `No config change, health transition or recorded condition in the ${formatDuration(lookBackMs)} before the first sign explains it; the trigger is unknown.`, at: null };
  }
  const when = relativeTo(top.at, firstSignAt);
  const text =
    top.kind === 'config_change' ? `${capitalize(top.summary)}; applied ${when}.`
    : top.kind === 'health' ? `${capitalize(top.summary)}. It began ${when}.`
    : `${capitalize(top.summary)} (seen by the alert when it fired, ${when}).`;
  return top.changeId === undefined ? { kind: top.kind, text, at: top.at } : { kind: top.kind, text, at: top.at, changeId: top.changeId };
}

function changeCandidates(input: CandidateInput): RootCauseCandidate[] {
  const named = namedCauses(input.alerts, 'config_change');
  const scored = scoredByMonitor(input);
  const candidates: RootCauseCandidate[] = [];
  for (const [changeId, events] of input.changeEvents) {
    const applied = events.find((event) => event.kind === 'change.applied');
    if (applied === undefined) continue;
    const proposed = events.find((event) => event.kind === 'change.proposed');
    const approvals = events.filter((event) => event.kind === 'change.approved');
    const diff = stringsField(applied.data, 'diff').length > 0 ? stringsField(applied.data, 'diff') : stringsField(proposed?.data, 'diff');
    const source = stringField(proposed?.data, 'source');
    const author = proposed?.actor ?? applied.actor;
    const reason = stringField(proposed?.data, 'reason');
    const rollbackOf = numberField(applied.data, 'rollbackOf');
    const version = numberField(applied.data, 'version');
    const byAlert = named.get(`config_change:${changeId}`);
    const own = scored.get(changeId);
    const evidence: string[] = [];
    if (proposed !== undefined) evidence.push(`proposed by ${author}${source === undefined ? '' : ` (${source})`} at ${formatUtcTime(proposed.at)} UTC${reason === undefined ? '' : `: "${reason}"`}`);
    for (const approval of approvals) evidence.push(`approved by ${approval.actor} at ${formatUtcTime(approval.at)} UTC${stringField(approval.data, 'comment') === undefined ? '' : `: "${stringField(approval.data, 'comment')!}"`}`);
    evidence.push(`applied by ${applied.actor} at ${formatUtcTime(applied.at)} UTC${version === undefined ? '' : ` as version ${version}`}, ${relativeTo(applied.at, input.firstSignAt)}`);
    for (const line of diff) evidence.push(`diff: ${line}`);
    if (byAlert !== undefined) evidence.push(namedLine(byAlert));
    const who = source === undefined ? `'${author}'` : `${source} '${author}'`;
    const fallback = `${rollbackOf === undefined ? '' : 'rollback '}change ${changeId} (${who}, ${formatUtcTime(applied.at).slice(0, 5)} UTC)${diff.length === 0 ? '' : ` changed ${diff.slice(0, 2).join('; ')}${diff.length > 2 ? ` and ${diff.length - 2} more` : ''}`}`;
    const approvers = [...new Set(approvals.map((approval) => approval.actor))];
    // The monitor's words in UTC; for a change it cannot score here (applied after the first sign, yet
    // before a later alert's onset), the words of the alert that named it.
    const words = own?.summary ?? strongest(byAlert)?.cause.summary ?? fallback;
    const summary = `${words}${approvers.length === 0 ? '' : `, approved by ${listOfNames(approvers)}`}`;
    const score = Math.max(own?.score ?? 0.1, ...(byAlert ?? []).map(({ cause }) => cause.score));
    candidates.push({ kind: 'config_change', summary, evidence, at: applied.at, changeId, score, isNamedByAlert: byAlert !== undefined });
  }
  return candidates;
}

/**
 * The monitor's own reading of each change's diff against the incident's first alert (the same scores
 * the diagnosis gives), with times in UTC; changes an alert did not name (one applied outside a
 * node's look-back, or an alert that fired before the diagnosis could read the log) are scored too.
 */
function scoredByMonitor(input: CandidateInput): Map<number, Cause> {
  const first = input.alerts[0];
  const rule: AlertRule = first !== undefined && (ALERT_RULES as readonly string[]).includes(first.rule) ? (first.rule as AlertRule) : 'skew';
  const pool = first?.pool ?? (input.pool === '*' ? undefined : input.pool);
  const backends = first?.backend === null || first?.backend === undefined ? input.backends : [first.backend];
  const events: ContextEvent[] = [];
  for (const list of input.changeEvents.values()) for (const event of list) events.push(event);
  const causes = rankCauses({
    finding: { rule, severity: 'warning', pool, backend: first?.backend ?? undefined, backends, summary: '', evidence: {}, forMs: 0 },
    traffic: { rps: 0, baselineRps: undefined },
    spikeRatio: Number.POSITIVE_INFINITY,
    dropRatio: 0,
    onsetMs: input.firstSignAt,
    // Every candidate change is read, even one an alert named from outside this report's look-back.
    lookBackMs: Math.max(input.lookBackMs, ...[...input.changeEvents.values()].flat().map((event) => input.firstSignAt - event.at)),
    events: events.sort((a, b) => a.at - b.at),
    formatTime: (ms) => `${formatUtcTime(ms).slice(0, 5)} UTC`,
  });
  const byId = new Map<number, Cause>();
  for (const cause of causes) if (cause.kind === 'config_change' && cause.changeId !== undefined) byId.set(cause.changeId, cause);
  return byId;
}

/** One candidate per backend (or the whole pool) whose health changed from the look-back to detection. */
function healthCandidates(input: CandidateInput): RootCauseCandidate[] {
  const named = namedCauses(input.alerts, 'health').get('health');
  const byBackend = new Map<string, AuditEvent[]>();
  for (const event of input.events) {
    if (event.kind !== 'health.transition' || event.at < input.firstSignAt - input.lookBackMs || event.at > input.detectedAt) continue;
    const pool = stringField(event.data, 'pool');
    if (input.pool !== '*' && pool !== input.pool) continue;
    const backend = stringField(event.data, 'backend') ?? '*';
    const key = backend === '*' ? `pool ${pool ?? '?'}` : `backend ${backend}`;
    byBackend.set(key, [...(byBackend.get(key) ?? []), event]);
  }
  const candidates: RootCauseCandidate[] = [];
  for (const [who, events] of byBackend) {
    const kinds = events.map((event) => stringField(event.data, 'kind') ?? 'changed');
    const isLoss = kinds.some((kind) => kind === 'down' || kind === 'ejected' || kind === 'panic');
    const first = events[0]!;
    const evidence = events.map((event) => {
      const reason = stringField(event.data, 'reason');
      return `${formatUtcTime(event.at)} UTC ${who} ${(stringField(event.data, 'kind') ?? 'changed').replace('_', ' ')}${reason === undefined ? '' : `: ${reason}`}`;
    });
    if (named !== undefined) evidence.push(namedLine(named), `the alert's words: ${strongest(named)!.cause.summary}`);
    const moves = events.map((event) => `${(stringField(event.data, 'kind') ?? 'changed').replace('_', ' ')} at ${formatUtcTime(event.at)} UTC`);
    const firstReason = stringField(first.data, 'reason');
    const summary = `${who} ${listOfNames(moves)}${isLoss && firstReason !== undefined ? ` (${firstReason})` : ''}`;
    const score = Math.max(isLoss ? 0.5 : 0.2, ...(named ?? []).map(({ cause }) => cause.score));
    candidates.push({ kind: 'health', summary, evidence, at: first.at, score, isNamedByAlert: named !== undefined });
  }
  return candidates;
}

/** Conditions only the alerts saw (sticky sessions, a traffic spike or drop): as their diagnosis recorded them. */
function conditionCandidates(input: CandidateInput): RootCauseCandidate[] {
  const candidates: RootCauseCandidate[] = [];
  for (const kind of ['persistence', 'traffic_spike', 'traffic_drop'] as const) {
    const named = namedCauses(input.alerts, kind).get(kind);
    if (named === undefined) continue;
    const best = strongest(named)!;
    const evidence = [namedLine(named)];
    const numbers = evidenceNumbers(best.alert.evidence, kind === 'persistence' ? /pinned|persistence|topKeys/i : /rps|baseline/i);
    if (numbers !== '') evidence.push(`numbers when ${best.alert.fingerprint} fired: ${numbers}`);
    candidates.push({ kind, summary: best.cause.summary, evidence, at: best.alert.firingAt, score: best.cause.score, isNamedByAlert: true });
  }
  return candidates;
}

type NamedCause = { readonly alert: FiredAlertCauses; readonly cause: Cause };

/** "named by alert skew/portal/* (score 0.9) and alert latency/portal/web-1 (score 0.7) when they fired" */
function namedLine(named: readonly NamedCause[]): string {
  const alerts = named.map(({ alert, cause }) => `alert ${alert.fingerprint} (score ${cause.score})`);
  return `named by ${listOfNames(alerts)} when ${named.length === 1 ? 'it' : 'they'} fired`;
}

function strongest(named: readonly NamedCause[] | undefined): NamedCause | undefined {
  if (named === undefined || named.length === 0) return undefined;
  return named.reduce((top, item) => (item.cause.score > top.cause.score ? item : top));
}

/** Causes of `kind` the alerts recorded, keyed by kind (and change id for config changes). */
function namedCauses(alerts: readonly FiredAlertCauses[], kind: CauseKind): Map<string, NamedCause[]> {
  const named = new Map<string, NamedCause[]>();
  for (const alert of alerts) {
    for (const cause of alert.causes) {
      if (cause.kind !== kind) continue;
      const key = kind === 'config_change' ? `config_change:${cause.changeId ?? '?'}` : kind;
      named.set(key, [...(named.get(key) ?? []), { alert, cause }]);
    }
  }
  return named;
}

/** Causes as stored in alert events (data.causes): plain JSON, read defensively. */
export function causesOf(data: unknown): Cause[] {
  const raw = fieldOf(data, 'causes');
  if (!Array.isArray(raw)) return [];
  const causes: Cause[] = [];
  for (const item of raw) {
    const kind = stringField(item, 'kind');
    const summary = stringField(item, 'summary');
    const score = numberField(item, 'score');
    if (kind === undefined || summary === undefined || score === undefined) continue;
    const changeId = numberField(item, 'changeId');
    const version = numberField(item, 'version');
    causes.push({ kind: kind as CauseKind, summary, score, ...(changeId === undefined ? {} : { changeId }), ...(version === undefined ? {} : { version }) });
  }
  return causes;
}

function evidenceNumbers(evidence: Readonly<Record<string, unknown>>, pattern: RegExp): string {
  return Object.entries(evidence)
    .filter(([key, value]) => pattern.test(key) && (typeof value === 'number' || typeof value === 'string'))
    .slice(0, 6)
    .map(([key, value]) => `${key} ${typeof value === 'number' ? Math.round(value * 1000) / 1000 : String(value)}`)
    .join(', ');
}

/** "2 min before the first sign", "at the first sign", "4.2 s after the first sign". */
export function relativeTo(at: number, firstSignAt: number): string {
  const delta = at - firstSignAt;
  if (delta === 0) return 'at the first sign';
  return delta < 0 ? `${formatDuration(-delta)} before the first sign` : `${formatDuration(delta)} after the first sign`;
}

function capitalize(text: string): string {
  return text === '' ? text : text[0]!.toUpperCase() + text.slice(1);
}
