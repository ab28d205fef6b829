import type { Cause, ContextEvent, RuleFinding } from './alert.js';
import { appliedChangesIn, changeCause, listOfNames, type AlertSubject } from './change-cause.js';

// The diagnosis: one line that says what is wrong, with the numbers, and what most likely caused it,
// plus the ranked causes behind it. In the postmortem people chased a traffic spike and then a DDoS
// for 45 minutes; so a skew alert always starts by saying whether traffic is normal, and ends with
// the change, the sticky sessions or the health event that explains it. The wording table is in
// docs/monitoring.md ("Diagnosis").

/** How far back before an alert's onset events are read, when policy.auto_rollback.window is not given. */
export const DEFAULT_LOOK_BACK_MS = 10 * 60_000;
/** A cause below this score is "possible", not "likely". */
const LIKELY_SCORE = 0.3;
/**
 * A config_change cause at or above this score is one the change plausibly caused (its diff moved
 * weight, drain, a load bound or the algorithm of the alert's pool the way the alert shows); below
 * it the change merely happened nearby. Automatic rollback should act only on plausible causes.
 */
export const PLAUSIBLE_CAUSE_SCORE = 0.5;
/** Persistence is named when at least this share of the backends' requests was pinned. */
const NOTABLE_PINNED_SHARE = 0.25;

export interface TrafficLevel {
  readonly rps: number;
  /** Undefined while the baseline is still learning. */
  readonly baselineRps: number | undefined;
}

export interface DescribeInput {
  /** The latest finding behind the alert. */
  readonly finding: RuleFinding;
  readonly traffic: TrafficLevel;
  /** monitor.traffic.spike_ratio and drop_ratio: what counts as normal traffic. */
  readonly spikeRatio: number;
  readonly dropRatio: number;
  /** Every finding of the same tick, so a spike can say whether requests stay evenly spread. */
  readonly findings?: readonly RuleFinding[];
  /** Look-back in ms, named when nothing explains the alert. */
  readonly lookBackMs?: number;
  /** Formats an epoch-ms time as HH:MM; the node's local time zone by default. */
  readonly formatTime?: (ms: number) => string;
}

export interface DiagnoseInput extends DescribeInput {
  /** When the alert became pending; events up to this moment are read. */
  readonly onsetMs: number;
  /** Audit events since onsetMs - lookBackMs (change.proposed, change.applied, health.transition, ...). */
  readonly events: readonly ContextEvent[];
}

export interface Diagnosis {
  readonly summary: string;
  readonly causes: readonly Cause[];
}

/** Ranks the likely causes of an alert and writes its one-line summary. */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const causes = rankCauses(input);
  return { summary: describeAlert(input, causes), causes };
}

/** The likely causes, highest score first: config changes, persistence, health, traffic. */
export function rankCauses(input: DiagnoseInput): Cause[] {
  const { finding, onsetMs } = input;
  const lookBackMs = input.lookBackMs ?? DEFAULT_LOOK_BACK_MS;
  const formatTime = input.formatTime ?? localTime;
  const subject: AlertSubject = { rule: finding.rule, pool: finding.pool, backends: concernedBackends(finding) };
  const causes: Cause[] = [];
  for (const change of appliedChangesIn(input.events, onsetMs - lookBackMs, onsetMs)) {
    causes.push(changeCause(change, subject, onsetMs, lookBackMs, formatTime));
  }
  const persistence = persistenceCause(finding);
  if (persistence !== undefined) causes.push(persistence);
  const health = healthCause(input.events, subject, onsetMs, lookBackMs, formatTime);
  if (health !== undefined) causes.push(health);
  const traffic = trafficCause(input);
  if (traffic !== undefined) causes.push(traffic);
  // Array sort is stable: equal scores keep the order above (changes, persistence, health, traffic).
  return causes.sort((a, b) => b.score - a.score);
}

/** The one-line summary from the finding, the traffic level and the (already ranked) causes. */
export function describeAlert(input: DescribeInput, causes: readonly Cause[]): string {
  const { finding } = input;
  const sentences: string[] = [];
  switch (finding.rule) {
    case 'traffic_spike':
    case 'traffic_drop':
      sentences.push(trafficAlertSentence(input));
      break;
    case 'skew':
      sentences.push(trafficSentence(input), shareSentence(finding), pinnedSentence(finding));
      break;
    case 'inflight_skew':
      sentences.push(trafficSentence(input), sentence(finding.summary), pinnedSentence(finding));
      break;
    case 'latency':
    case 'relative_latency':
    case 'errors':
      sentences.push(trafficSentence(input), sentence(finding.summary));
      break;
    default:
      sentences.push(sentence(finding.summary));
  }
  sentences.push(causeSentence(finding, causes, input.lookBackMs ?? DEFAULT_LOOK_BACK_MS));
  return sentences.filter((text) => text !== '').join(' ');
}

function trafficSentence({ traffic, spikeRatio, dropRatio }: DescribeInput): string {
  const { rps, baselineRps } = traffic;
  if (baselineRps === undefined || baselineRps <= 0) return `Traffic ${count(rps)} rps (baseline still learning).`;
  const ratio = rps / baselineRps;
  if (ratio > spikeRatio || ratio < dropRatio) return `Traffic ${ratio > spikeRatio ? 'spike' : 'drop'}: ${count(rps)} rps, ${ofBaseline(ratio, baselineRps)}.`;
  return `Traffic normal (${count(rps)} rps, baseline ${count(baselineRps)}).`;
}

/** "Traffic spike: 3,050 rps, 3.0x the baseline of 1,010 rps; requests stay evenly spread." */
function trafficAlertSentence(input: DescribeInput): string {
  const { finding } = input;
  const rps = numberOf(finding.evidence.rps) ?? input.traffic.rps;
  const baselineRps = numberOf(finding.evidence.baselineRps) ?? input.traffic.baselineRps;
  if (baselineRps === undefined || baselineRps <= 0) return sentence(finding.summary);
  const what = finding.rule === 'traffic_spike' ? 'Traffic spike' : 'Traffic drop';
  const skewed = [...new Set((input.findings ?? []).filter((other) => other.rule === 'skew' || other.rule === 'inflight_skew').map((other) => other.pool ?? ''))];
  const spread = skewed.length === 0 ? 'requests stay evenly spread' : `requests are also skewed in ${skewed.length === 1 ? 'pool' : 'pools'} ${listOfNames(skewed)}`;
  return `${what}: ${count(rps)} rps, ${ofBaseline(rps / baselineRps, baselineRps)}; ${spread}.`;
}

/** "web-1 and web-2 carry 81% of requests, expected 40%." from the evidence, else the rule's summary. */
function shareSentence(finding: RuleFinding): string {
  const observed = numberOf(finding.evidence.observedShare);
  const expected = numberOf(finding.evidence.expectedShare);
  if (observed === undefined || expected === undefined || finding.backends.length === 0) return sentence(finding.summary);
  const verb = finding.backends.length === 1 ? 'carries' : 'carry';
  return `${listOfNames(finding.backends)} ${verb} ${percent(observed)} of requests, expected ${percent(expected)}.`;
}

/** "74% of their requests are pinned by cookie persistence." */
function pinnedSentence(finding: RuleFinding): string {
  const pinned = pinnedOf(finding);
  if (pinned === undefined) return '';
  const whose = finding.backends.length === 1 ? 'its' : 'their';
  return `${percent(pinned.share)} of ${whose} requests are pinned by ${pinned.by} persistence.`;
}

function causeSentence(finding: RuleFinding, causes: readonly Cause[], lookBackMs: number): string {
  const top = causes[0];
  if (top === undefined) {
    if (finding.rule === 'traffic_spike' || finding.rule === 'traffic_drop') return '';
    return `No config change or health event in the ${minutes(lookBackMs)} before it started.`;
  }
  const likely = top.score >= LIKELY_SCORE ? 'Likely' : 'Possible';
  // The pinning sentence already gave the numbers; the cause only names it.
  const pinned = pinnedOf(finding);
  if (top.kind === 'persistence' && pinned !== undefined && finding.rule !== 'persistence_concentration') return `${likely} cause: sticky sessions (${pinned.by} persistence).`;
  return `${likely} cause: ${top.summary}.`;
}

function persistenceCause(finding: RuleFinding): Cause | undefined {
  const pinned = pinnedOf(finding);
  if (pinned === undefined) return undefined;
  const isConcentration = finding.rule === 'persistence_concentration';
  if (!isConcentration && finding.rule !== 'skew' && finding.rule !== 'inflight_skew') return undefined;
  const backends = finding.backends.length === 0 ? '' : ` on ${listOfNames(finding.backends)}`;
  return {
    kind: 'persistence',
    summary: `sticky sessions: ${by(pinned.by)} persistence pins ${percent(pinned.share)} of the requests${backends}`,
    score: Math.round((isConcentration ? 0.8 : 0.7 * pinned.share) * 1000) / 1000,
  };
}

/** health.transition events of the alert's pool in the look-back: "web-3 down 09:57, up 09:58". */
function healthCause(events: readonly ContextEvent[], subject: AlertSubject, onsetMs: number, lookBackMs: number, formatTime: (ms: number) => string): Cause | undefined {
  if (subject.pool === undefined) return undefined;
  const byBackend = new Map<string, { kind: string; at: number }[]>();
  let latestAt = 0;
  let hasLoss = false;
  for (const event of events) {
    if (event.kind !== 'health.transition' || event.at < onsetMs - lookBackMs || event.at > onsetMs) continue;
    const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<string, unknown>;
    if (data.pool !== subject.pool) continue;
    const backend = typeof data.backend === 'string' ? data.backend : '*';
    const kind = String(data.kind ?? data.to ?? data.state ?? 'changed');
    const moves = byBackend.get(backend) ?? [];
    moves.push({ kind, at: event.at });
    byBackend.set(backend, moves);
    latestAt = Math.max(latestAt, event.at);
    if (kind === 'down' || kind === 'ejected' || kind === 'panic') hasLoss = true;
  }
  if (byBackend.size === 0) return undefined;
  const parts = [...byBackend].map(([backend, moves]) => {
    const name = backend === '*' ? `pool ${subject.pool}` : backend;
    return `${name} ${moves.map((move) => `${move.kind.replace('_', ' ')} ${formatTime(move.at)}`).join(', ')}`;
  });
  // Expected shares already leave unhealthy backends out, so a health change explains a skew only
  // while it settles; it explains lost capacity and flapping and, less surely, latency and errors.
  const relevance = subject.rule === 'capacity' || subject.rule === 'flapping' ? (hasLoss ? 0.9 : 0.4)
    : subject.rule === 'latency' || subject.rule === 'relative_latency' || subject.rule === 'errors' ? (hasLoss ? 0.5 : 0.3)
    : subject.rule === 'skew' || subject.rule === 'inflight_skew' ? 0.25
    : 0.1;
  const age = Math.min(1, Math.max(0, (onsetMs - latestAt) / Math.max(1, lookBackMs)));
  return { kind: 'health', summary: `health changes: ${parts.join('; ')}`, score: Math.round(relevance * (1 - 0.25 * age) * 1000) / 1000 };
}

function trafficCause({ finding, traffic, spikeRatio, dropRatio }: DescribeInput): Cause | undefined {
  if (finding.rule === 'traffic_spike' || finding.rule === 'traffic_drop') return undefined;
  const { rps, baselineRps } = traffic;
  if (baselineRps === undefined || baselineRps <= 0) return undefined;
  const ratio = rps / baselineRps;
  const isSpike = ratio > spikeRatio;
  if (!isSpike && ratio >= dropRatio) return undefined;
  // A spike slows everything down but leaves shares as they were; a drop empties, it does not skew.
  const relevance = finding.rule === 'skew' || finding.rule === 'inflight_skew' ? 0.2 : isSpike ? 0.6 : 0.3;
  return {
    kind: isSpike ? 'traffic_spike' : 'traffic_drop',
    summary: `traffic ${isSpike ? 'spike' : 'drop'}: ${count(rps)} rps, ${ofBaseline(ratio, baselineRps)}`,
    score: relevance,
  };
}

function concernedBackends(finding: RuleFinding): readonly string[] {
  if (finding.backends.length > 0) return finding.backends;
  return finding.backend === undefined ? [] : [finding.backend];
}

function pinnedOf(finding: RuleFinding): { share: number; by: string } | undefined {
  const share = numberOf(finding.evidence.pinnedShare);
  const persistence = finding.evidence.persistence;
  if (share === undefined || typeof persistence !== 'string' || persistence === 'none' || share < NOTABLE_PINNED_SHARE) return undefined;
  return { share, by: by(persistence) };
}

function by(persistence: string): string {
  return persistence === 'source_ip' ? 'source-IP' : persistence;
}

function numberOf(value: number | string | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** 1020 -> "1,020" (whole numbers with thousands separators, as people read rates). */
function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** "3.0x the baseline of 1,010 rps" above it, "30% of the baseline of 1,000 rps" below (as the traffic rule words it). */
function ofBaseline(ratio: number, baselineRps: number): string {
  const how = ratio >= 1 ? `${ratio.toFixed(1)}x` : `${Math.round(ratio * 100)}% of`;
  return `${how} the baseline of ${count(baselineRps)} rps`;
}

function minutes(ms: number): string {
  const value = Math.round(ms / 60_000);
  return value >= 1 ? `${value} min` : `${Math.round(ms / 1000)} s`;
}

/** HH:MM in the node's local time zone, as people read their wall clock. */
export function localTime(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}
