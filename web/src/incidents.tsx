import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, describeError } from './api';
import { DownloadLink } from './downloads';
import { ago, dateTime, percent } from './format';
import type { WhoAmI } from './types';

// Incidents and drills: the incidents the node opened from alerts, each with its postmortem draft
// (Markdown, to read here or download); the built-in drills, started from here, with their progress
// and reports. Both APIs are newer than the dashboard's first pages: a node without them answers
// 404, and the page says so instead of failing.

const MILESTONES = ['started', 'detected', 'acknowledged', 'identified', 'mitigated', 'resolved'] as const;

interface Incident {
  id: number;
  pool: string;
  status: 'open' | 'resolved';
  title: string;
  milestones: Partial<Record<(typeof MILESTONES)[number], { at: number; by: string; note?: string }>>;
  alerts: string[];
  backends: string[];
  impact?: { requests: number; slowed: number; failed: number; sloMs: number };
  updatedAt: number;
}

interface DrillScenario {
  name: string;
  title: string;
  description: string;
}

interface DrillStatus {
  running: boolean;
  scenario: string | null;
  startedAt: number | null;
  startedBy: string | null;
  phase: string | null;
  fraction: number;
  message: string;
  endedAt: number | null;
  verdict: 'pass' | 'fail' | 'error' | null;
  lastRunId: number | null;
}

interface DrillRun {
  id: number;
  scenario: string;
  startedAt: number;
  endedAt: number;
  speed: number;
  verdict: 'pass' | 'fail' | 'error';
  detectS: number | null;
  mitigateS: number | null;
}

type Loaded<T> = { kind: 'loading' } | { kind: 'missing' } | { kind: 'error'; message: string } | { kind: 'ok'; value: T };

/** Polls `path` every `everyMs`; a 404 of an unknown route becomes 'missing'. */
function usePolled<T>(path: string | undefined, everyMs: number): [Loaded<T>, () => void] {
  const [state, setState] = useState<Loaded<T>>({ kind: 'loading' });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === undefined) return;
    let isCurrent = true;
    const load = () =>
      api<T>(path).then(
        (value) => isCurrent && setState({ kind: 'ok', value }),
        (caught: unknown) => isCurrent && setState(caught instanceof ApiError && caught.isNotAvailable ? { kind: 'missing' } : { kind: 'error', message: describeError(caught) }),
      );
    void load();
    const timer = setInterval(load, everyMs);
    return () => {
      isCurrent = false;
      clearInterval(timer);
    };
  }, [path, everyMs, tick]);
  return [state, useCallback(() => setTick((value) => value + 1), [])];
}

function NotAvailable({ what }: { what: string }) {
  return (
    <p class="notice" data-testid="not-available">
      {what} are not available on this node: its admin API has no such route (an older evenkeel). Upgrade the node to use them here.
    </p>
  );
}

export function IncidentsPage({ me, selected }: { me: WhoAmI; selected?: string }) {
  const [kind, id] = (selected ?? '').split('/');
  const selectedIncident = kind === 'incident' && id !== undefined ? Number(id) : undefined;
  const selectedRun = kind === 'drill' && id !== undefined ? Number(id) : undefined;
  return (
    <section aria-labelledby="incidents-title">
      <h1 id="incidents-title">Incidents &amp; drills</h1>
      <Incidents selectedId={selectedIncident} />
      <Drills me={me} selectedRunId={selectedRun} />
    </section>
  );
}

function Incidents({ selectedId }: { selectedId: number | undefined }) {
  const [incidents] = usePolled<Incident[] | { incidents: Incident[] }>('/api/v1/incidents', 5000);
  return (
    <section class="panel" aria-labelledby="incident-list-title" data-testid="incidents">
      <h2 id="incident-list-title">Incidents</h2>
      {incidents.kind === 'loading' && <p class="loading">Loading incidents…</p>}
      {incidents.kind === 'missing' && <NotAvailable what="Incidents" />}
      {incidents.kind === 'error' && <p class="error">{incidents.message}</p>}
      {incidents.kind === 'ok' && <IncidentList incidents={Array.isArray(incidents.value) ? incidents.value : incidents.value.incidents} selectedId={selectedId} />}
    </section>
  );
}

function IncidentList({ incidents, selectedId }: { incidents: Incident[]; selectedId: number | undefined }) {
  if (incidents.length === 0) return <p class="muted">No incident yet: one opens when an alert fires.</p>;
  return (
    <div class="split">
      <ul class="plain">
        {incidents.map((incident) => (
          <li key={incident.id}>
            <a class="list-item" href={`#/incidents/incident/${incident.id}`} aria-current={incident.id === selectedId ? 'true' : undefined}>
              <span class="title">
                #{incident.id} {incident.title}
              </span>
              <br />
              <span class={`badge ${incident.status === 'open' ? 'danger' : 'ok'}`}>{incident.status}</span>{' '}
              <span class="muted">
                pool {incident.pool} · {ago(incident.milestones.started?.at ?? incident.updatedAt)}
              </span>
            </a>
          </li>
        ))}
      </ul>
      <div>{selectedId === undefined ? <p class="muted">Choose an incident to read its report.</p> : <IncidentDetail key={selectedId} incident={incidents.find((entry) => entry.id === selectedId)} id={selectedId} />}</div>
    </div>
  );
}

function IncidentDetail({ incident, id }: { incident: Incident | undefined; id: number }) {
  const [markdown, setMarkdown] = useState<Loaded<string>>({ kind: 'loading' });
  useEffect(() => {
    api<string>(`/api/v1/incidents/${id}/report?format=md`, { asText: true }).then(
      (value) => setMarkdown({ kind: 'ok', value }),
      (caught: unknown) => setMarkdown(caught instanceof ApiError && caught.isNotAvailable ? { kind: 'missing' } : { kind: 'error', message: describeError(caught) }),
    );
  }, [id, incident?.updatedAt]);
  return (
    <article aria-labelledby="incident-title" data-testid="incident-detail">
      <h3 id="incident-title">
        Incident #{id}
        {incident === undefined ? '' : `: ${incident.title}`}
      </h3>
      {incident !== undefined && (
        <>
          <table>
            <caption class="visually-hidden">Milestones</caption>
            <tbody>
              {MILESTONES.map((milestone) => {
                const mark = incident.milestones[milestone];
                return (
                  <tr key={milestone}>
                    <th scope="row">{milestone}</th>
                    <td>{mark === undefined ? '–' : dateTime(mark.at)}</td>
                    <td>{mark === undefined ? '' : `${mark.by}${mark.note === undefined ? '' : `: ${mark.note}`}`}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {incident.impact !== undefined && incident.impact.requests > 0 && (
            <p>
              Impact: {incident.impact.requests} requests, {percent(incident.impact.slowed / incident.impact.requests)} slower than {incident.impact.sloMs} ms, {percent(incident.impact.failed / incident.impact.requests)} failed.
            </p>
          )}
        </>
      )}
      <ReportView state={markdown} fileName={`incident-${id}.md`} what="Incident reports" />
    </article>
  );
}

function ReportView({ state, fileName, what }: { state: Loaded<string>; fileName: string; what: string }) {
  if (state.kind === 'loading') return <p class="loading">Loading the report…</p>;
  if (state.kind === 'missing') return <NotAvailable what={what} />;
  if (state.kind === 'error') return <p class="error">{state.message}</p>;
  return (
    <>
      <div class="button-row">
        <DownloadLink text={state.value} fileName={fileName} label={`Download ${fileName}`} />
      </div>
      <pre data-testid="report-markdown">{state.value}</pre>
    </>
  );
}

function Drills({ me, selectedRunId }: { me: WhoAmI; selectedRunId: number | undefined }) {
  const [scenarios] = usePolled<DrillScenario[]>('/api/v1/drills/scenarios', 60_000);
  const [current, refreshCurrent] = usePolled<DrillStatus>('/api/v1/drills/current', 1000);
  const [runs, refreshRuns] = usePolled<DrillRun[]>('/api/v1/drills?limit=20', 5000);
  const [speed, setSpeed] = useState('10');
  const [startError, setStartError] = useState<string | undefined>(undefined);
  const mayStart = me.can.apply;
  const isRunning = current.kind === 'ok' && current.value.running;

  const lastRunId = current.kind === 'ok' ? current.value.lastRunId : null;
  useEffect(() => refreshRuns(), [lastRunId, refreshRuns]);

  const start = async (scenario: string) => {
    setStartError(undefined);
    const parsedSpeed = Number(speed);
    try {
      await api('/api/v1/drills', { method: 'POST', body: { scenario, ...(Number.isFinite(parsedSpeed) && parsedSpeed > 0 ? { speed: parsedSpeed } : {}) } });
      refreshCurrent();
    } catch (caught) {
      setStartError(describeError(caught));
    }
  };

  return (
    <section class="panel" aria-labelledby="drills-title" data-testid="drills">
      <h2 id="drills-title">Drills</h2>
      {scenarios.kind === 'missing' ? (
        <NotAvailable what="Drills" />
      ) : (
        <>
          {current.kind === 'ok' && <DrillProgress status={current.value} />}
          <h3>Built-in scenarios</h3>
          {scenarios.kind === 'loading' && <p class="loading">Loading scenarios…</p>}
          {scenarios.kind === 'error' && <p class="error">{scenarios.message}</p>}
          {scenarios.kind === 'ok' && (
            <>
              {mayStart ? (
                <div class="field" style={{ maxWidth: '14rem' }}>
                  <label for="drill-speed">Speed (divides the scenario's durations)</label>
                  <input id="drill-speed" type="number" min="1" max="100" step="1" value={speed} onInput={(event) => setSpeed((event.target as HTMLInputElement).value)} />
                </div>
              ) : (
                <p class="muted">Your role ({me.role}) may watch drills; starting one needs operator, approver or admin.</p>
              )}
              <ul class="plain">
                {scenarios.value.map((scenario) => (
                  <li key={scenario.name} class="list-item">
                    <span class="title">{scenario.title}</span> <code>{scenario.name}</code>
                    <p class="muted">{scenario.description}</p>
                    {mayStart && (
                      <button type="button" onClick={() => start(scenario.name)} disabled={isRunning} aria-label={`Start drill ${scenario.title}`}>
                        Start
                      </button>
                    )}
                  </li>
                ))}
              </ul>
              {startError !== undefined && (
                <p class="refusal" role="alert">
                  {startError}
                </p>
              )}
            </>
          )}
          <h3>Past runs</h3>
          {runs.kind === 'loading' && <p class="loading">Loading runs…</p>}
          {runs.kind === 'missing' && <NotAvailable what="Stored drill runs" />}
          {runs.kind === 'error' && <p class="error">{runs.message}</p>}
          {runs.kind === 'ok' &&
            (runs.value.length === 0 ? (
              <p class="muted">No drill has run on this node yet.</p>
            ) : (
              <ul class="plain">
                {runs.value.map((run) => (
                  <li key={run.id}>
                    <a class="list-item" href={`#/incidents/drill/${run.id}`} aria-current={run.id === selectedRunId ? 'true' : undefined}>
                      <span class="title">
                        #{run.id} {run.scenario}
                      </span>{' '}
                      <span class={`badge ${run.verdict === 'pass' ? 'ok' : 'danger'}`}>{run.verdict}</span>{' '}
                      <span class="muted">
                        {dateTime(run.startedAt)}
                        {run.detectS === null ? '' : ` · detected in ${run.detectS.toFixed(1)} s`}
                        {run.mitigateS === null ? '' : ` · mitigated in ${run.mitigateS.toFixed(1)} s`}
                      </span>
                    </a>
                  </li>
                ))}
              </ul>
            ))}
          {selectedRunId !== undefined && <DrillReport key={selectedRunId} id={selectedRunId} />}
        </>
      )}
    </section>
  );
}

function DrillProgress({ status }: { status: DrillStatus }) {
  if (!status.running && status.scenario === null) return <p class="muted">No drill has run since the node started.</p>;
  return (
    <div class="drill-progress" data-testid="drill-progress" aria-live="polite">
      <p>
        <strong>{status.running ? 'Running' : 'Last drill'}:</strong> {status.scenario}
        {status.startedBy === null ? '' : `, started by ${status.startedBy}`}
        {status.phase === null ? '' : ` · ${status.phase}`}
        {!status.running && status.verdict !== null && (
          <>
            {' '}
            · <span class={`badge ${status.verdict === 'pass' ? 'ok' : 'danger'}`}>{status.verdict}</span>
          </>
        )}
        {!status.running && status.lastRunId !== null && (
          <>
            {' '}
            · <a href={`#/incidents/drill/${status.lastRunId}`}>report</a>
          </>
        )}
      </p>
      <label for="drill-progress-bar" class="visually-hidden">
        Drill progress
      </label>
      <progress id="drill-progress-bar" max={1} value={status.fraction} />
      <p class="muted">{status.message}</p>
    </div>
  );
}

function DrillReport({ id }: { id: number }) {
  const [markdown, setMarkdown] = useState<Loaded<string>>({ kind: 'loading' });
  useEffect(() => {
    api<string>(`/api/v1/drills/${id}/report?format=md`, { asText: true }).then(
      (value) => setMarkdown({ kind: 'ok', value }),
      (caught: unknown) => setMarkdown(caught instanceof ApiError && caught.isNotAvailable ? { kind: 'missing' } : { kind: 'error', message: describeError(caught) }),
    );
  }, [id]);
  return (
    <article aria-labelledby="drill-report-title">
      <h3 id="drill-report-title">Drill run #{id}: report</h3>
      <ReportView state={markdown} fileName={`drill-${id}.md`} what="Drill reports" />
    </article>
  );
}
