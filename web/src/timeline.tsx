import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, describeError } from './api';
import { CATEGORIES, categoryOf, describeEvent, type Category } from './event-words';
import { clockTime, dateTime } from './format';
import type { AuditEvent } from './types';

// Timeline: the audit log on one time axis: alerts, changes, rollbacks, health transitions,
// incidents and drills, filterable by category and by text, newest first in the list below.

const RANGES = [
  { label: 'last 15 minutes', ms: 15 * 60_000 },
  { label: 'last hour', ms: 60 * 60_000 },
  { label: 'last 6 hours', ms: 6 * 3600_000 },
  { label: 'last 24 hours', ms: 24 * 3600_000 },
  { label: 'last 7 days', ms: 7 * 86_400_000 },
] as const;
const PAGE_SIZE = 1000;
/** Pages of events read per refresh at most (the API returns them oldest first). */
const MAX_PAGES = 5;
const REFRESH_MS = 5000;

export function TimelinePage() {
  const [rangeMs, setRangeMs] = useState<number>(RANGES[1].ms);
  const [shown, setShown] = useState<Set<Category>>(() => new Set(CATEGORIES.map((category) => category.id)));
  const [query, setQuery] = useState('');
  const [events, setEvents] = useState<AuditEvent[] | undefined>(undefined);
  const [isCut, setCut] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [nowMs, setNowMs] = useState(() => Date.now());

  const load = useCallback(async () => {
    const since = Date.now() - rangeMs;
    const loaded: AuditEvent[] = [];
    let afterSeq: number | undefined;
    let hasMore = true;
    try {
      for (let page = 0; page < MAX_PAGES && hasMore; page++) {
        const batch = await api<AuditEvent[]>(`/api/v1/events?since=${since}&limit=${PAGE_SIZE}${afterSeq === undefined ? '' : `&afterSeq=${afterSeq}`}`);
        loaded.push(...batch);
        hasMore = batch.length === PAGE_SIZE;
        afterSeq = batch.at(-1)?.seq;
      }
      setEvents(loaded);
      setCut(hasMore);
      setNowMs(Date.now());
      setError(undefined);
    } catch (caught) {
      setError(describeError(caught));
    }
  }, [rangeMs]);
  useEffect(() => {
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const visible = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (events ?? []).filter((event) => {
      if (!shown.has(categoryOf(event))) return false;
      if (needle === '') return true;
      return `${event.kind} ${event.actor} ${event.subject} ${describeEvent(event)}`.toLowerCase().includes(needle);
    });
  }, [events, shown, query]);

  const toggle = (category: Category) =>
    setShown((previous) => {
      const next = new Set(previous);
      if (next.has(category)) next.delete(category);
      else next.add(category);
      return next;
    });

  return (
    <section aria-labelledby="timeline-title">
      <h1 id="timeline-title">Timeline</h1>
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Filter the timeline">
        <div class="field">
          <label for="timeline-range">Time</label>
          <select id="timeline-range" value={rangeMs} onChange={(event) => setRangeMs(Number((event.target as HTMLSelectElement).value))}>
            {RANGES.map((range) => (
              <option key={range.ms} value={range.ms}>
                {range.label}
              </option>
            ))}
          </select>
        </div>
        <fieldset>
          <legend>Show</legend>
          {CATEGORIES.map((category) => (
            <label key={category.id}>
              <input type="checkbox" checked={shown.has(category.id)} onChange={() => toggle(category.id)} /> <span class={`legend-dot cat-${category.id}`} />
              {category.label}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="timeline-search">Search</label>
          <input id="timeline-search" type="search" placeholder="kind, actor, backend…" value={query} onInput={(event) => setQuery((event.target as HTMLInputElement).value)} />
        </div>
        <button type="button" class="secondary" onClick={() => void load()}>
          Refresh
        </button>
      </form>
      {error !== undefined && <p class="error">{error}</p>}
      {events === undefined ? (
        <p class="loading">Loading the event log…</p>
      ) : (
        <>
          <TimeAxis events={visible} fromMs={nowMs - rangeMs} toMs={nowMs} />
          <p class="muted" aria-live="polite">
            {visible.length} of {events.length} events{isCut ? ` (the first ${events.length} of the range; narrow it to see later ones)` : ''}.
          </p>
          <div class="table-scroll">
            <table class="events" data-testid="timeline-events">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">What</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Who</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {visible
                  .slice()
                  .reverse()
                  .map((event) => {
                    const category = categoryOf(event);
                    return (
                      <tr key={event.seq} data-category={category}>
                        <td title={dateTime(event.at)}>{clockTime(event.at)}</td>
                        <td>
                          <span class={`legend-dot cat-${category}`} />
                          {CATEGORIES.find((entry) => entry.id === category)?.label}
                        </td>
                        <td>
                          <code>{event.kind}</code>
                        </td>
                        <td>{event.actor}</td>
                        <td>{event.subject}</td>
                        <td>{describeEvent(event)}</td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

/** Every shown event as a dot on one axis, coloured by category; the table below is the accessible view. */
function TimeAxis({ events, fromMs, toMs }: { events: AuditEvent[]; fromMs: number; toMs: number }) {
  const span = Math.max(1, toMs - fromMs);
  const position = (at: number) => `${Math.min(100, Math.max(0, ((at - fromMs) / span) * 100)).toFixed(2)}%`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((fraction) => fromMs + fraction * span);
  return (
    <div class="timeline-axis" aria-hidden="true" data-testid="timeline-axis">
      {ticks.map((at, index) => (
        <span key={index} class="axis-label" style={{ left: position(at), transform: index === 0 ? 'none' : index === ticks.length - 1 ? 'translateX(-100%)' : 'translateX(-50%)' }}>
          {clockTime(at)}
        </span>
      ))}
      {events.map((event) => (
        <span key={event.seq} class={`mark cat-${categoryOf(event)}`} style={{ left: position(event.at) }} title={`${clockTime(event.at)} ${event.kind} ${event.subject}`} />
      ))}
    </div>
  );
}
