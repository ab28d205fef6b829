import type { AlertRule, Cause, ContextEvent } from './alert.js';

// Config changes as causes of an alert: which changes were applied in the minutes before it started,
// who made them, what their diff (config/describeConfigChanges, in words) did to the alert's pool, and
// how well that explains the alert. The postmortem's script raised two weights 100 -> 400 and nobody
// connected it to the skew for two hours; here that change is named first.

/** A change.applied event joined with its change.proposed event. */
export interface AppliedChange {
  readonly changeId: number;
  readonly version: number | undefined;
  readonly appliedAt: number;
  /** The actor of change.proposed (a token name such as 'weights.sh'), else who applied it. */
  readonly author: string;
  /** The change's source (cli, api, dashboard, file, automation) from change.proposed, if seen. */
  readonly source: string | undefined;
  readonly isRollback: boolean;
  readonly diff: readonly string[];
}

/** What an alert is about, as far as its causes are concerned. */
export interface AlertSubject {
  readonly rule: AlertRule;
  readonly pool: string | undefined;
  /** The backends the alert is about: for skew the over-served ones. */
  readonly backends: readonly string[];
}

/** The changes applied between `sinceMs` and `untilMs`, oldest first. */
export function appliedChangesIn(events: readonly ContextEvent[], sinceMs: number, untilMs: number): AppliedChange[] {
  const proposals = new Map<number, ContextEvent>();
  for (const event of events) {
    if (event.kind !== 'change.proposed') continue;
    const changeId = numberField(event.data, 'changeId');
    if (changeId !== undefined) proposals.set(changeId, event);
  }
  const changes: AppliedChange[] = [];
  for (const event of events) {
    if (event.kind !== 'change.applied' || event.at < sinceMs || event.at > untilMs) continue;
    const changeId = numberField(event.data, 'changeId');
    if (changeId === undefined) continue;
    const proposal = proposals.get(changeId);
    const diffField = field(event.data, 'diff') ?? field(proposal?.data, 'diff');
    changes.push({
      changeId,
      version: numberField(event.data, 'version'),
      appliedAt: event.at,
      author: proposal?.actor ?? event.actor,
      source: stringField(proposal?.data, 'source'),
      isRollback: field(event.data, 'rollbackOf') !== undefined && field(event.data, 'rollbackOf') !== null,
      diff: Array.isArray(diffField) ? diffField.filter((line): line is string => typeof line === 'string') : [],
    });
  }
  return changes.sort((a, b) => a.appliedAt - b.appliedAt);
}

/** One diff line read for its effect on the alert's pool. */
interface ReadLine {
  readonly relevance: number;
  /** Weight changes are merged into one phrase per (direction, old, new); others stand alone. */
  readonly weight?: { backend: string; from: number; to: number };
  readonly phrase: string;
}

/**
 * The change as a cause of the alert, scored 0..1: high when its diff raised the weights of the
 * alert's backends, lowered or drained the others, or loosened a persistence or hashing load bound;
 * low when it touched something else. Older changes in the look-back score a little lower.
 */
export function changeCause(change: AppliedChange, subject: AlertSubject, onsetMs: number, lookBackMs: number, formatTime: (ms: number) => string): Cause {
  const lines = change.diff.map((line) => readLine(line, subject)).sort((a, b) => b.relevance - a.relevance);
  const relevance = lines.length === 0 ? 0.1 : lines[0].relevance;
  const age = Math.min(1, Math.max(0, (onsetMs - change.appliedAt) / Math.max(1, lookBackMs)));
  const who = change.source === undefined ? `'${change.author}'` : `${change.source} '${change.author}'`;
  const what = `${change.isRollback ? 'rollback ' : ''}change ${change.changeId} (${who}, ${formatTime(change.appliedAt)})`;
  const phrases = phrasesOf(lines);
  return {
    kind: 'config_change',
    summary: phrases === '' ? what : `${what} ${phrases}`,
    score: round(relevance * (1 - 0.25 * age)),
    changeId: change.changeId,
    ...(change.version === undefined ? {} : { version: change.version }),
  };
}

const WEIGHT = /^(\S+) weight (\d+(?:\.\d+)?) -> (\d+(?:\.\d+)?)$/;
const PERSISTENCE = /^persistence (.+) -> (.+)$/;
const HASH_BOUND = /^hash\.bound (\S+) -> (\S+)$/;

function readLine(line: string, subject: AlertSubject): ReadLine {
  const pool = subject.pool;
  const isSkew = subject.rule === 'skew' || subject.rule === 'inflight_skew';
  const isLoad = isSkew || subject.rule === 'latency' || subject.rule === 'relative_latency' || subject.rule === 'errors';
  const concerned = new Set(subject.backends);
  if (pool === undefined || !(line.startsWith(`pools.${pool}:`) || line.startsWith(`pools.${pool}.`) || line.startsWith(`pools.${pool} `))) {
    const isRoutes = line.startsWith('routes');
    const relevance = (subject.rule === 'traffic_spike' || subject.rule === 'traffic_drop') && isRoutes ? 0.5 : 0.15;
    return { relevance, phrase: `changed ${line}` };
  }
  const rest = line.startsWith(`pools.${pool}: `) ? line.slice(`pools.${pool}: `.length) : line.slice(`pools.${pool}`.length).replace(/^\.?/, '');
  const weight = WEIGHT.exec(rest);
  if (weight !== null) {
    const [, backend, fromText, toText] = weight;
    const from = Number(fromText);
    const to = Number(toText);
    const isConcerned = concerned.has(backend);
    const isRaised = to > from;
    let relevance = 0.4;
    if (subject.rule === 'capacity') relevance = isRaised ? 0.2 : 0.8;
    else if (isLoad) relevance = isRaised === isConcerned ? (isSkew ? (isRaised ? 0.9 : 0.8) : 0.7) : 0.2;
    return { relevance, weight: { backend, from, to }, phrase: '' };
  }
  const drained = /^(\S+) (drained|removed)$/.exec(rest);
  if (drained !== null) {
    const [, backend, how] = drained;
    const relevance = subject.rule === 'capacity' ? 0.9 : isLoad && !concerned.has(backend) ? 0.7 : 0.3;
    return { relevance, phrase: `${how === 'drained' ? 'drained' : 'removed'} ${backend}` };
  }
  const persistence = PERSISTENCE.exec(rest);
  if (persistence !== null) {
    const [, before, after] = persistence;
    const isLoosened = loosensBound(boundOf(before), boundOf(after));
    const isConcentrating = isSkew || subject.rule === 'persistence_concentration';
    const relevance = isLoosened ? (isConcentrating ? 0.85 : 0.6) : before === 'none' ? (isConcentrating ? 0.6 : 0.4) : 0.4;
    return { relevance, phrase: describePersistenceChange(before, after, isLoosened) };
  }
  const hashBound = HASH_BOUND.exec(rest);
  if (hashBound !== null) {
    const isLoosened = loosensBound(Number(hashBound[1]), hashBound[2] === 'unset' ? undefined : Number(hashBound[2]));
    return { relevance: isLoosened ? (isSkew ? 0.85 : 0.6) : 0.4, phrase: `changed hash bound ${hashBound[1]} -> ${hashBound[2]}` };
  }
  if (rest.startsWith('algorithm ')) return { relevance: isLoad ? 0.6 : 0.4, phrase: `changed ${rest}` };
  return { relevance: 0.4, phrase: /^(removed|added)/.test(rest) ? `pool ${pool} ${rest}` : `changed ${rest}` };
}

/** "cookie bound 1.25" -> 1.25; "cookie bound undefined", "cookie bound none" -> undefined (no bound). */
function boundOf(summary: string): number | undefined | 'off' {
  if (summary === 'none') return 'off';
  const match = /bound (\S+)$/.exec(summary);
  const bound = match === null ? Number.NaN : Number(match[1]);
  return Number.isFinite(bound) && bound > 1 ? bound : undefined;
}

/** A bound removed or raised lets sticky sessions or hot keys pile onto fewer backends. */
function loosensBound(before: number | undefined | 'off', after: number | undefined | 'off'): boolean {
  if (after === 'off') return false;
  if (after === undefined) return true;
  return typeof before === 'number' && after > before;
}

/** "raised web-1 and web-2 weights 100 -> 400 and drained web-3", most relevant first, at most 3 phrases. */
function phrasesOf(lines: readonly ReadLine[]): string {
  const phrases: { relevance: number; text: string }[] = [];
  const weightGroups = new Map<string, { relevance: number; backends: string[]; from: number; to: number }>();
  for (const line of lines) {
    if (line.weight === undefined) {
      phrases.push({ relevance: line.relevance, text: line.phrase });
      continue;
    }
    const key = `${line.weight.from}->${line.weight.to}`;
    const group = weightGroups.get(key);
    if (group === undefined) {
      const created = { relevance: line.relevance, backends: [line.weight.backend], from: line.weight.from, to: line.weight.to };
      weightGroups.set(key, created);
      phrases.push({ relevance: line.relevance, text: key });
    } else group.backends.push(line.weight.backend);
  }
  const texts = phrases.map((phrase) => {
    const group = weightGroups.get(phrase.text);
    if (group === undefined) return phrase.text;
    const verb = group.to > group.from ? 'raised' : 'lowered';
    return `${verb} ${listOfNames(group.backends)} ${group.backends.length === 1 ? 'weight' : 'weights'} ${group.from} -> ${group.to}`;
  });
  const shown = texts.slice(0, 3);
  const more = texts.length - shown.length;
  if (more > 0) shown.push(`${more} more ${more === 1 ? 'change' : 'changes'}`);
  return listOfNames(shown);
}

/** "web-1", "web-1 and web-2", "web-1, web-2 and web-3". */
export function listOfNames(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function field(data: unknown, key: string): unknown {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
}

function numberField(data: unknown, key: string): number | undefined {
  const value = field(data, key);
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function stringField(data: unknown, key: string): string | undefined {
  const value = field(data, key);
  return typeof value === 'string' ? value : undefined;
}

function round(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 1000) / 1000;
}

/** "cookie bound 1.25" -> "cookie bound 10" reads "loosened the cookie persistence bound 1.25 -> 10". */
function describePersistenceChange(before: string, after: string, isLoosened: boolean): string {
  const from = /^(\S+) bound (\S+)$/.exec(before);
  const to = /^(\S+) bound (\S+)$/.exec(after);
  if (from !== null && to !== null && from[1] === to[1]) {
    if (!Number.isFinite(Number(to[2]))) return `removed the ${from[1]} persistence bound ${from[2]}`;
    return `${isLoosened ? 'loosened' : 'tightened'} the ${from[1]} persistence bound ${from[2]} -> ${to[2]}`;
  }
  return `changed persistence ${before} -> ${after}`;
}
