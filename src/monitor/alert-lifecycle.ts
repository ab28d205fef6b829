import { alertFingerprint, type Alert, type AlertAction, type AlertSeverity, type AlertTransition, type Cause, type RuleFinding } from './alert.js';

// The alert lifecycle: each tick's findings become alerts that move pending -> firing -> resolved,
// at most one unresolved alert per fingerprint (rule, pool, backend). The rules say what holds now;
// this file says what that means over time, so the rules stay stateless about alerts.

/**
 * A firing alert resolves only after its finding has been absent this many consecutive ticks. One
 * missing tick is usually a boundary case (a window that just dipped under min_requests, a p-value
 * on the edge), and an alert that resolves and re-fires every other second teaches people to mute it.
 * Three ticks (3 s at the default interval) is short next to any rule's `for` duration.
 */
export const RESOLVE_AFTER_ABSENT_TICKS = 3;
/** Resolved alerts kept in memory for recent(); older ones live in the store only. */
export const RECENT_RESOLVED_LIMIT = 200;

const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = { critical: 0, warning: 1, info: 2 };

export interface AlertLifecycleOptions {
  /** Consecutive ticks without the finding before a firing alert resolves; RESOLVE_AFTER_ABSENT_TICKS by default. */
  resolveAfterAbsentTicks?: number;
  /** Resolved alerts remembered for recent(); RECENT_RESOLVED_LIMIT by default. */
  recentResolvedLimit?: number;
}

/** What the lifecycle remembers about one unresolved alert besides the alert itself. */
interface OpenAlert {
  alert: Alert;
  finding: RuleFinding;
  absentTicks: number;
  /** The diagnosis sentence without the actions appended to it. */
  diagnosis: string | undefined;
}

export class AlertLifecycle {
  readonly #resolveAfterAbsentTicks: number;
  readonly #recentResolvedLimit: number;
  readonly #open = new Map<string, OpenAlert>();
  /** Oldest first; trimmed to #recentResolvedLimit. */
  readonly #resolved: Alert[] = [];

  constructor(options: AlertLifecycleOptions = {}) {
    this.#resolveAfterAbsentTicks = Math.max(1, Math.floor(options.resolveAfterAbsentTicks ?? RESOLVE_AFTER_ABSENT_TICKS));
    this.#recentResolvedLimit = Math.max(0, Math.floor(options.recentResolvedLimit ?? RECENT_RESOLVED_LIMIT));
  }

  /**
   * One tick: the findings that hold at `nowMs` move the alerts. Returns the transitions in a stable
   * order: findings in the order given (pending before firing for the same alert), then resolutions.
   */
  advance(findings: readonly RuleFinding[], nowMs: number): AlertTransition[] {
    const transitions: AlertTransition[] = [];
    const seen = new Set<string>();
    for (const finding of findings) {
      const fingerprint = alertFingerprint(finding.rule, finding.pool, finding.backend);
      // Two findings with one identity in a tick are one condition: the first one (rules list the
      // worse one first) speaks for the alert.
      if (seen.has(fingerprint)) continue;
      seen.add(fingerprint);
      const open = this.#open.get(fingerprint);
      if (open === undefined) {
        const alert = newAlert(fingerprint, finding, nowMs);
        this.#open.set(fingerprint, { alert, finding, absentTicks: 0, diagnosis: undefined });
        transitions.push({ alert, from: undefined, to: 'pending', at: nowMs });
      } else {
        open.finding = finding;
        open.absentTicks = 0;
        open.alert = {
          ...open.alert,
          severity: finding.severity,
          evidence: finding.evidence,
          backends: finding.backends,
          summary: open.alert.state === 'firing' ? open.alert.summary : finding.summary,
        };
      }
      const current = this.#open.get(fingerprint)!;
      if (current.alert.state === 'pending' && nowMs - current.alert.startedAt >= finding.forMs) {
        current.alert = { ...current.alert, state: 'firing', firingAt: nowMs };
        transitions.push({ alert: current.alert, from: 'pending', to: 'firing', at: nowMs });
      }
    }
    for (const [fingerprint, open] of this.#open) {
      if (seen.has(fingerprint)) continue;
      open.absentTicks += 1;
      // A pending alert never fired, so nobody was told: it goes at once, without hysteresis.
      if (open.alert.state === 'pending' || open.absentTicks >= this.#resolveAfterAbsentTicks) {
        transitions.push(this.#resolve(fingerprint, open, nowMs));
      }
    }
    return transitions;
  }

  /**
   * Takes over unresolved alerts that another evaluator raised and stored (the fleet's previous
   * monitor leader): they go on as if this lifecycle had raised them, so a condition that still holds
   * neither alerts nor fires a second time, and one that is gone resolves here after the usual absent
   * ticks. An alert whose fingerprint is open already is left alone. Returns the alerts taken over.
   */
  adopt(alerts: readonly Alert[]): Alert[] {
    const adopted: Alert[] = [];
    for (const alert of alerts) {
      if (alert.state === 'resolved' || this.#open.has(alert.fingerprint)) continue;
      const finding: RuleFinding = { rule: alert.rule, severity: alert.severity, pool: alert.pool, backend: alert.backend, backends: alert.backends, summary: alert.summary, evidence: alert.evidence, forMs: 0 };
      this.#open.set(alert.fingerprint, { alert, finding, absentTicks: 0, diagnosis: undefined });
      adopted.push(alert);
    }
    return adopted;
  }

  /** Resolves every unresolved alert (monitoring turned off, or the node stops evaluating). */
  resolveAll(nowMs: number): AlertTransition[] {
    return [...this.#open].map(([fingerprint, open]) => this.#resolve(fingerprint, open, nowMs));
  }

  /** Sets the diagnosis of an unresolved alert (its summary, and its causes when given). */
  diagnose(fingerprint: string, diagnosis: { summary: string; causes?: readonly Cause[] }): Alert | undefined {
    const open = this.#open.get(fingerprint);
    if (open === undefined) return undefined;
    open.diagnosis = diagnosis.summary;
    open.alert = { ...open.alert, summary: withActions(diagnosis.summary, open.alert.actions), causes: diagnosis.causes ?? open.alert.causes };
    return open.alert;
  }

  /** Records what the node did about an unresolved alert; its summary ends with it. */
  addAction(fingerprint: string, action: AlertAction): Alert | undefined {
    const open = this.#open.get(fingerprint);
    if (open === undefined) return undefined;
    const actions = [...open.alert.actions, action];
    open.alert = { ...open.alert, actions, summary: withActions(open.diagnosis ?? open.finding.summary, actions) };
    return open.alert;
  }

  /** The latest finding behind an unresolved alert. */
  findingOf(fingerprint: string): RuleFinding | undefined {
    return this.#open.get(fingerprint)?.finding;
  }

  /** Unresolved alerts, most severe first, firing before pending, then oldest first. */
  active(): Alert[] {
    return [...this.#open.values()].map((open) => open.alert).sort(bySeverity);
  }

  /** Unresolved and recently resolved alerts, newest first (by when each started). */
  recent(limit = 50): Alert[] {
    const all = [...this.#open.values()].map((open) => open.alert).concat(this.#resolved);
    all.sort((a, b) => b.startedAt - a.startedAt || lastMoveOf(b) - lastMoveOf(a));
    return all.slice(0, Math.max(0, limit));
  }

  #resolve(fingerprint: string, open: OpenAlert, nowMs: number): AlertTransition {
    const from = open.alert.state;
    const alert: Alert = { ...open.alert, state: 'resolved', resolvedAt: nowMs };
    this.#open.delete(fingerprint);
    this.#resolved.push(alert);
    if (this.#resolved.length > this.#recentResolvedLimit) this.#resolved.splice(0, this.#resolved.length - this.#recentResolvedLimit);
    return { alert, from, to: 'resolved', at: nowMs };
  }
}

function newAlert(fingerprint: string, finding: RuleFinding, nowMs: number): Alert {
  return {
    fingerprint,
    rule: finding.rule,
    severity: finding.severity,
    pool: finding.pool,
    backend: finding.backend,
    state: 'pending',
    startedAt: nowMs,
    firingAt: undefined,
    resolvedAt: undefined,
    summary: finding.summary,
    evidence: finding.evidence,
    backends: finding.backends,
    causes: [],
    actions: [],
  };
}

/** "…weights 100 -> 400. Rolled back change 42: version 7 restored as version 9 (change 43)." */
function withActions(summary: string, actions: readonly AlertAction[]): string {
  let text = summary;
  for (const action of actions) {
    const sentence = action.summary.trim();
    if (sentence === '') continue;
    text += `${/[.!?]$/.test(text) ? '' : '.'} ${sentence[0].toUpperCase()}${sentence.slice(1)}${/[.!?]$/.test(sentence) ? '' : '.'}`;
  }
  return text;
}

function bySeverity(a: Alert, b: Alert): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (a.state === 'firing' ? 0 : 1) - (b.state === 'firing' ? 0 : 1) ||
    a.startedAt - b.startedAt
  );
}

function lastMoveOf(alert: Alert): number {
  return alert.resolvedAt ?? alert.firingAt ?? alert.startedAt;
}
