import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, describeError } from './api';
import { ago, dateTime } from './format';
import { SimulationChart } from './simulation-chart';
import type { ChangeRequest, ChangeStatus, WhoAmI } from './types';

// Changes: pending and past change requests; for one, the diff in words, the simulated share per
// backend before and after, the audit findings, and approve / reject / apply. The buttons call the
// same API routes as the CLI, so the server's rules decide (two-person rule, roles, guardrails), and
// a refusal is shown as the server words it.

const PENDING: readonly ChangeStatus[] = ['proposed', 'approved'];
const REFRESH_MS = 5000;

export function ChangesPage({ me, selected }: { me: WhoAmI; selected?: string }) {
  const [changes, setChanges] = useState<ChangeRequest[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const load = useCallback(
    () =>
      api<ChangeRequest[]>('/api/v1/changes?limit=100').then(
        (loaded) => {
          setChanges(loaded);
          setError(undefined);
        },
        (caught: unknown) => setError(describeError(caught)),
      ),
    [],
  );
  useEffect(() => {
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const selectedId = selected === undefined ? undefined : Number(selected);
  const pending = changes?.filter((change) => PENDING.includes(change.status)) ?? [];
  const past = changes?.filter((change) => !PENDING.includes(change.status)) ?? [];
  return (
    <section aria-labelledby="changes-title">
      <h1 id="changes-title">Changes</h1>
      {error !== undefined && <p class="error">{error}</p>}
      {changes === undefined ? (
        <p class="loading">Loading change requests…</p>
      ) : (
        <div class="split">
          <nav aria-label="Change requests">
            <h2>Waiting ({pending.length})</h2>
            {pending.length === 0 ? <p class="muted">No change is waiting.</p> : <ChangeList changes={pending} selectedId={selectedId} />}
            <h2>Past</h2>
            {past.length === 0 ? <p class="muted">No change yet.</p> : <ChangeList changes={past} selectedId={selectedId} />}
          </nav>
          <div>
            {selectedId === undefined ? (
              <p class="muted">Choose a change request to see its diff, its simulated impact and what you may do with it.</p>
            ) : (
              <ChangeDetail key={selectedId} id={selectedId} me={me} onChanged={load} />
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function ChangeList({ changes, selectedId }: { changes: ChangeRequest[]; selectedId: number | undefined }) {
  return (
    <ul class="plain">
      {changes.map((change) => (
        <li key={change.id}>
          <a class="list-item" href={`#/changes/${change.id}`} aria-current={change.id === selectedId ? 'true' : undefined} data-testid={`change-${change.id}`}>
            <span class="title">
              #{change.id} {change.reason}
            </span>
            <br />
            <StatusBadge status={change.status} /> {change.isFlagged && <span class="badge warn">flagged</span>}{' '}
            <span class="muted">
              by {change.author} · {ago(change.createdAt)}
            </span>
          </a>
        </li>
      ))}
    </ul>
  );
}

function StatusBadge({ status }: { status: ChangeStatus }) {
  const tone = status === 'applied' ? 'ok' : status === 'proposed' || status === 'approved' ? 'info' : status === 'rolled_back' ? 'warn' : 'danger';
  return <span class={`badge ${tone}`}>{status.replace('_', ' ')}</span>;
}

type Action = 'approve' | 'reject' | 'apply';

function ChangeDetail({ id, me, onChanged }: { id: number; me: WhoAmI; onChanged: () => unknown }) {
  const [change, setChange] = useState<ChangeRequest | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<Action | undefined>(undefined);
  const [outcome, setOutcome] = useState<{ isRefusal: boolean; text: string } | undefined>(undefined);

  useEffect(() => {
    let isCurrent = true;
    const load = () =>
      api<ChangeRequest>(`/api/v1/changes/${id}`).then(
        (loaded) => isCurrent && setChange(loaded),
        (caught: unknown) => isCurrent && setLoadError(describeError(caught)),
      );
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      isCurrent = false;
      clearInterval(timer);
    };
  }, [id]);

  if (loadError !== undefined && change === undefined) return <p class="error">{loadError}</p>;
  if (change === undefined) return <p class="loading">Loading change {id}…</p>;

  const act = async (action: Action) => {
    setBusy(action);
    setOutcome(undefined);
    try {
      const body = action === 'apply' ? {} : comment.trim() === '' ? {} : { comment: comment.trim() };
      const updated = await api<ChangeRequest>(`/api/v1/changes/${id}/${action}`, { method: 'POST', body });
      setChange(updated);
      setOutcome({ isRefusal: false, text: action === 'apply' ? `Applied: the live config is now version ${updated.appliedVersion ?? '?'}.` : `Change ${id} ${action === 'approve' ? 'approved' : 'rejected'}.` });
      void onChanged();
    } catch (caught) {
      setOutcome({ isRefusal: true, text: describeError(caught) });
    } finally {
      setBusy(undefined);
    }
  };

  const isAuthor = change.author === me.name;
  const isOpen = change.status === 'proposed';
  const mayApplyNow = change.status === 'approved' || (change.status === 'proposed' && !change.needsApproval);
  return (
    <article class="panel" aria-labelledby="change-title" data-testid="change-detail">
      <h2 id="change-title">
        Change #{change.id}: {change.reason}
      </h2>
      <p>
        <StatusBadge status={change.status} /> proposed by <strong>{change.author}</strong> ({change.authorRole}, via {change.source}) on {dateTime(change.createdAt)}
        {change.baseVersion !== null && <> against version {change.baseVersion}</>}
        {change.appliedVersion !== null && <>; live as version {change.appliedVersion}</>}
        {change.rollbackOf !== null && <>; rolls back to version {change.rollbackOf}</>}.
        {change.needsApproval && change.status === 'proposed' && <> It needs an approver who is not its author.</>}
      </p>

      <h3>What changes</h3>
      {change.diff.length === 0 ? (
        <p class="muted">No difference from the base version.</p>
      ) : (
        <ul data-testid="change-diff">
          {change.diff.map((line, index) => (
            <li key={index}>{line}</li>
          ))}
        </ul>
      )}

      <h3>Findings</h3>
      {change.findings.length === 0 ? (
        <p class="muted">No audit finding or guardrail.</p>
      ) : (
        <ul>
          {change.findings.map((finding, index) => (
            <li key={index}>
              <span class={`badge ${finding.severity === 'error' ? 'danger' : finding.severity === 'warning' ? 'warn' : 'info'}`}>{finding.severity}</span> <code>{finding.rule}</code> {finding.message}
            </li>
          ))}
        </ul>
      )}

      <h3>Simulated share per backend</h3>
      {change.simulation === null ? <p class="muted">No simulation was run for this change.</p> : <SimulationChart simulation={change.simulation} />}

      {change.approvals.length > 0 && (
        <>
          <h3>Decisions</h3>
          <ul>
            {change.approvals.map((approval, index) => (
              <li key={index}>
                {approval.approver} {approval.decision === 'approve' ? 'approved' : 'rejected'} {ago(approval.at)}
                {approval.comment === null ? '' : `: “${approval.comment}”`}
              </li>
            ))}
          </ul>
        </>
      )}

      <h3>Decide</h3>
      {!me.can.approve && !me.can.apply ? (
        <p class="muted">Your role ({me.role}) may read changes but not approve, reject or apply them.</p>
      ) : (
        <>
          {isAuthor && isOpen && (
            <p id="author-note" class="muted">
              You proposed this change, so the two-person rule will refuse your approval: another approver must approve it.
            </p>
          )}
          {me.can.approve && isOpen && (
            <div class="field">
              <label for="decision-comment">Comment (optional)</label>
              <textarea id="decision-comment" rows={2} maxLength={2000} value={comment} onInput={(event) => setComment((event.target as HTMLTextAreaElement).value)} />
            </div>
          )}
          <div class="button-row">
            {me.can.approve && isOpen && (
              <>
                <button type="button" onClick={() => act('approve')} disabled={busy !== undefined} aria-describedby={isAuthor ? 'author-note' : undefined}>
                  {busy === 'approve' ? 'Approving…' : 'Approve'}
                </button>
                <button type="button" class="danger" onClick={() => act('reject')} disabled={busy !== undefined}>
                  {busy === 'reject' ? 'Rejecting…' : 'Reject'}
                </button>
              </>
            )}
            {me.can.apply && (change.status === 'proposed' || change.status === 'approved') && (
              <button type="button" class="secondary" onClick={() => act('apply')} disabled={busy !== undefined || !mayApplyNow} aria-describedby="apply-note">
                {busy === 'apply' ? 'Applying…' : 'Apply'}
              </button>
            )}
          </div>
          {(change.status === 'proposed' || change.status === 'approved') && (
            <p id="apply-note" class="muted">
              {mayApplyNow ? 'Applying makes it live at once; the node then watches it and rolls it back if an alert fires.' : 'Apply is possible once an approver has approved it.'}
            </p>
          )}
          {!isOpen && change.status !== 'approved' && <p class="muted">This change is {change.status.replace('_', ' ')}; there is nothing left to decide.</p>}
        </>
      )}
      {outcome !== undefined && (
        <p class={outcome.isRefusal ? 'refusal' : 'all-clear'} role={outcome.isRefusal ? 'alert' : 'status'} data-testid="change-outcome">
          {outcome.text}
        </p>
      )}
    </article>
  );
}
