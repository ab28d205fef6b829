import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from './api';
import { ago, clockTime, percent, rate } from './format';
import { useLiveStats, type StreamState } from './live-stats';
import { ShareBars } from './share-bars';
import { TimeChart } from './time-chart';
import type { Alert, BackendStats, LiveStats } from './types';

// Overview: every pool and backend, live over server-sent events: health, effective weight, expected
// vs observed share, rate and p95 over the last minutes, pinned share, and the firing alerts with
// their diagnosis sentence; below, the recent alerts with what the node did about them (rollbacks).

export function OverviewPage() {
  const { history, state } = useLiveStats();
  const latest = history.at(-1);
  return (
    <section aria-labelledby="overview-title">
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <StreamBadge state={state} at={latest?.at} />
      </div>
      {latest === undefined ? (
        <p class="loading">Waiting for the first sample of the stats stream…</p>
      ) : (
        <>
          <Traffic stats={latest} />
          <FiringAlerts alerts={latest.alerts} />
          {latest.pools.map((pool) => (
            <PoolPanel key={pool.pool} pool={pool.pool} backends={pool.backends} history={history} windowSeconds={latest.windowSeconds} />
          ))}
        </>
      )}
      <RecentAlerts />
    </section>
  );
}

function StreamBadge({ state, at }: { state: StreamState; at: number | undefined }) {
  const text = state === 'live' ? `live · ${at === undefined ? '' : clockTime(at)}` : state === 'connecting' ? 'connecting…' : 'reconnecting…';
  return (
    <span class={`badge ${state === 'live' ? 'ok' : 'warn'}`} data-testid="stream-state" aria-live="off">
      {text}
    </span>
  );
}

function Traffic({ stats }: { stats: LiveStats }) {
  const total = stats.pools.reduce((sum, pool) => sum + pool.backends.reduce((inner, backend) => inner + backend.requests, 0), 0);
  // The rate over the same window as the table (the monitor's own rate is over its longer window).
  const rps = total / stats.windowSeconds;
  const { baselineRps } = stats.traffic;
  return (
    <dl class="figures">
      <div>
        <dt>Request rate, last {stats.windowSeconds} s</dt>
        <dd data-testid="total-rps">{rate(rps)} req/s</dd>
      </div>
      <div>
        <dt>Requests, last {stats.windowSeconds} s</dt>
        <dd data-testid="total-requests">{total}</dd>
      </div>
      <div>
        <dt>Baseline</dt>
        <dd>{baselineRps === null ? 'warming up' : `${rate(baselineRps)} req/s`}</dd>
      </div>
      <div>
        <dt>Firing alerts</dt>
        <dd data-testid="firing-count">{stats.alerts.length}</dd>
      </div>
    </dl>
  );
}

function FiringAlerts({ alerts }: { alerts: Alert[] }) {
  if (alerts.length === 0) return <p class="all-clear">No alert is firing.</p>;
  return (
    <section class="alerts" aria-labelledby="firing-title" data-testid="firing-alerts">
      <h2 id="firing-title">Firing alerts</h2>
      <ul>
        {alerts.map((alert) => (
          <li key={alert.fingerprint} class={`alert ${alert.severity}`}>
            <strong>
              {alert.rule}
              {alert.pool === undefined ? '' : ` · ${alert.pool}`}
            </strong>{' '}
            <span class="muted">firing since {clockTime(alert.firingAt ?? alert.startedAt)}</span>
            <p class="diagnosis">{alert.summary}</p>
            <AlertActions alert={alert} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function AlertActions({ alert }: { alert: Alert }) {
  if (alert.actions.length === 0) return null;
  return (
    <ul class="actions">
      {alert.actions.map((action, index) => (
        <li key={index}>
          <span class="badge info">{action.kind}</span> {action.summary}{' '}
          {action.rollbackChangeId !== undefined && <a href={`#/changes/${action.rollbackChangeId}`}>change {action.rollbackChangeId}</a>}
        </li>
      ))}
    </ul>
  );
}

function PoolPanel({ pool, backends, history, windowSeconds }: { pool: string; backends: BackendStats[]; history: LiveStats[]; windowSeconds: number }) {
  const poolRequests = backends.reduce((sum, backend) => sum + backend.requests, 0);
  const times: number[] = [];
  const rps = backends.map(() => [] as (number | null)[]);
  const p95 = backends.map(() => [] as (number | null)[]);
  for (const sample of history) {
    const found = sample.pools.find((entry) => entry.pool === pool);
    times.push(sample.at / 1000);
    backends.forEach((backend, index) => {
      const stats = found?.backends.find((entry) => entry.backend === backend.backend);
      rps[index].push(stats === undefined ? null : stats.rps);
      p95[index].push(stats === undefined || stats.requests === 0 ? null : stats.p95Ms);
    });
  }
  const headingId = `pool-${pool}`;
  return (
    <section class="pool" aria-labelledby={headingId} data-testid={`pool-${pool}`}>
      <h2 id={headingId}>
        Pool {pool} <span class="muted">· {poolRequests} requests in the last {windowSeconds} s</span>
      </h2>
      <div class="table-scroll">
        <table class="backends">
          <caption class="visually-hidden">Backends of pool {pool}</caption>
          <thead>
            <tr>
              <th scope="col">Backend</th>
              <th scope="col">Health</th>
              <th scope="col">Weight</th>
              <th scope="col" class="share-col">
                Expected vs observed share
              </th>
              <th scope="col">Rate</th>
              <th scope="col">p95</th>
              <th scope="col">Pinned</th>
            </tr>
          </thead>
          <tbody>
            {backends.map((backend) => (
              <tr key={backend.backend} data-testid={`backend-${backend.backend}`}>
                <th scope="row">{backend.backend}</th>
                <td>
                  <span class={`badge ${backend.health === 'healthy' ? 'ok' : backend.health === 'draining' ? 'warn' : 'danger'}`}>{backend.health}</span>
                </td>
                <td class="num">{backend.effectiveWeight}</td>
                <td class="share-col">
                  <ShareBars expected={backend.expectedShare} observed={backend.observedShare} hasTraffic={poolRequests > 0} />
                </td>
                <td class="num" data-testid="rps">
                  {rate(backend.rps)} req/s
                </td>
                <td class="num">{backend.requests === 0 ? '–' : `${backend.p95Ms.toFixed(0)} ms`}</td>
                <td class="num">{backend.requests === 0 ? '–' : percent(backend.pinnedShare, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="charts">
        <TimeChart title={`Request rate, ${pool}`} unit="req/s" times={times} series={backends.map((backend, index) => ({ label: backend.backend, values: rps[index] }))} />
        <TimeChart title={`p95 latency, ${pool}`} unit="ms" times={times} series={backends.map((backend, index) => ({ label: backend.backend, values: p95[index] }))} />
      </div>
    </section>
  );
}

/** Alerts of the last while, resolved ones too, with what the node did: the rollback shows here. */
function RecentAlerts() {
  const [alerts, setAlerts] = useState<Alert[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let isCurrent = true;
    const load = () =>
      api<Alert[]>('/api/v1/alerts?limit=10').then(
        (loaded) => {
          if (!isCurrent) return;
          setAlerts(loaded);
          setError(undefined);
        },
        (caught: unknown) => isCurrent && setError(describeError(caught)),
      );
    void load();
    const timer = setInterval(load, 3000);
    return () => {
      isCurrent = false;
      clearInterval(timer);
    };
  }, []);
  return (
    <section class="recent-alerts" aria-labelledby="recent-alerts-title" data-testid="recent-alerts">
      <h2 id="recent-alerts-title">Recent alerts</h2>
      {error !== undefined && <p class="error">{error}</p>}
      {alerts === undefined ? (
        <p class="loading">Loading…</p>
      ) : alerts.length === 0 ? (
        <p class="muted">No alert has been raised.</p>
      ) : (
        <ul>
          {alerts.map((alert) => (
            <li key={`${alert.fingerprint}-${alert.startedAt}`} class={`alert ${alert.state}`}>
              <span class={`badge ${alert.state === 'firing' ? 'danger' : alert.state === 'pending' ? 'warn' : 'ok'}`}>{alert.state}</span> <strong>{alert.rule}</strong>
              {alert.pool === undefined ? '' : ` · ${alert.pool}`} <span class="muted">{ago(alert.firingAt ?? alert.startedAt)}</span>
              <p class="diagnosis">{alert.summary}</p>
              <AlertActions alert={alert} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
