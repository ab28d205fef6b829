// What a drill run produces (issue 6): the measured figures, the verdict per target, a timeline of
// what the drill did and what evenkeel did, the event log excerpt and the incident report of the
// drill's node. The runner (drill-runner.ts) fills it; drill-report.ts renders it as Markdown and
// JSON; the store keeps it (drill_runs.result_json) for `evenkeel drill history`.

/** Phases a drill goes through, in order; the progress bar shows them. */
export const DRILL_PHASES = ['starting', 'warmup', 'fault', 'detect', 'mitigate', 'recover', 'report'] as const;
export type DrillPhase = (typeof DRILL_PHASES)[number];

export interface DrillProgress {
  readonly phase: DrillPhase;
  /** 0..1 through the whole drill (by planned time). */
  readonly fraction: number;
  /** One line on what is happening now ("injecting: change by automation 'weights.sh'"). */
  readonly message: string;
}

/** The figures a drill measures. Times are wall-clock seconds from the fault, as measured. */
export interface DrillFigures {
  /** Fault -> first firing alert of the scenario's expected rule; undefined when none fired. */
  readonly detectS: number | undefined;
  /** Fault -> rollback applied or the scenario's manual fix applied; undefined when neither happened. */
  readonly mitigateS: number | undefined;
  /** Requests the traffic generator sent from the fault to the end of the drill. */
  readonly requests: number;
  /** ...of which answered slower than the scenario's SLO. */
  readonly slowed: number;
  /** ...of which failed (5xx, connection error, timeout). */
  readonly failed: number;
  readonly slowedShare: number;
  readonly failedShare: number;
  /** Whether the firing alert's top-ranked cause was the scenario's expected cause; undefined when the scenario expects none. */
  readonly diagnosisCorrect: boolean | undefined;
  /** The first firing alert's summary (the diagnosis sentence). */
  readonly diagnosis: string | undefined;
}

/** One target of the scenario and how the run did against it. */
export interface DrillTargetResult {
  /** The target's key in the scenario file: detect_s, mitigate_s, slowed_share, failed_share, diagnosis, no_alerts, config_unchanged, ... */
  readonly name: string;
  /** The target in words: "<= 10 s", "names config_change", "no skew alert". */
  readonly expected: string;
  /** What was measured, in words: "4.2 s", "config_change", "none fired". */
  readonly measured: string;
  readonly passed: boolean;
}

export interface DrillTimelineEntry {
  readonly at: number;
  /** Seconds from the fault (negative before it). */
  readonly offsetS: number;
  /** 'drill' for what the drill did (start traffic, inject), 'evenkeel' for what the node did. */
  readonly source: 'drill' | 'evenkeel';
  readonly kind: string;
  readonly text: string;
}

/** One event of the drill node's audit log, as GET /api/v1/events answers it. */
export interface DrillEvent {
  readonly seq: number;
  readonly at: number;
  readonly kind: string;
  readonly actor: string;
  readonly subject: string;
  readonly data: unknown;
}

export interface DrillResult {
  readonly scenario: { readonly name: string; readonly title: string; readonly description: string; readonly file: string };
  readonly speed: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** When the fault was injected, epoch ms. */
  readonly faultAt: number | undefined;
  /** 'error' when the drill itself could not run (a node did not start); then `error` says why. */
  readonly verdict: 'pass' | 'fail' | 'error';
  readonly error?: string;
  readonly figures: DrillFigures;
  readonly targets: readonly DrillTargetResult[];
  readonly timeline: readonly DrillTimelineEntry[];
  /** The drill node's audit log from its start to the end of the drill. */
  readonly events: readonly DrillEvent[];
  /** The drill node's incident reports (Markdown), by incident id, when any incident opened. */
  readonly incidentReports: Readonly<Record<string, string>>;
}
