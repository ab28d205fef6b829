import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

// What a traffic run saw: counts, failures by reason, and a latency histogram (Node's built-in HDR
// histogram, microsecond resolution) measured from each request's scheduled send time, so a stall
// of the server shows up in the percentiles instead of slowing the offered load (open loop).

/** Why a request did not count as ok. */
export type FailureReason =
  | `status ${number}`
  /** The generator already had maxInflight requests out; the request was never sent. */
  | 'inflight_limit'
  | 'timeout'
  /** Any other client error, by its code (ECONNREFUSED, UND_ERR_SOCKET, ...). */
  | (string & {});

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

export interface TrafficSnapshot {
  /** Requests the schedule offered (sent plus those refused by the in-flight limit). */
  readonly offered: number;
  readonly sent: number;
  /** Status 2xx or 3xx. */
  readonly ok: number;
  readonly failed: number;
  readonly failedBy: Readonly<Record<string, number>>;
  /** Completed requests (ok or not) slower than the SLO. */
  readonly slowerThanSlo: number;
  readonly sloMs: number;
  readonly latency: LatencySummary;
  /** Responses per value of the backend header (when the generator was given one). */
  readonly byBackend: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** Offered requests per second over the elapsed time. */
  readonly offeredRps: number;
}

export class TrafficStats {
  private readonly histogram: RecordableHistogram = createHistogram();
  private offered = 0;
  private sent = 0;
  private ok = 0;
  private readonly failedBy = new Map<string, number>();
  private slowerThanSlo = 0;
  private readonly byBackend = new Map<string, number>();

  constructor(private readonly sloMs: number) {}

  recordOffered(): void {
    this.offered++;
  }

  recordSent(): void {
    this.sent++;
  }

  recordRefused(reason: FailureReason): void {
    this.failedBy.set(reason, (this.failedBy.get(reason) ?? 0) + 1);
  }

  /** One finished request: `failure` undefined means ok. */
  recordCompleted(latencyMs: number, failure: FailureReason | undefined, backend: string | undefined): void {
    this.histogram.record(Math.max(1, Math.round(latencyMs * 1000)));
    if (latencyMs > this.sloMs) this.slowerThanSlo++;
    if (failure === undefined) this.ok++;
    else this.failedBy.set(failure, (this.failedBy.get(failure) ?? 0) + 1);
    if (backend !== undefined) this.byBackend.set(backend, (this.byBackend.get(backend) ?? 0) + 1);
  }

  snapshot(elapsedMs: number): TrafficSnapshot {
    let failed = 0;
    for (const count of this.failedBy.values()) failed += count;
    const completed = this.histogram.count;
    const ms = (microseconds: number) => (completed === 0 ? 0 : microseconds / 1000);
    return {
      offered: this.offered,
      sent: this.sent,
      ok: this.ok,
      failed,
      failedBy: Object.fromEntries(this.failedBy),
      slowerThanSlo: this.slowerThanSlo,
      sloMs: this.sloMs,
      latency: {
        p50Ms: ms(this.histogram.percentile(50)),
        p95Ms: ms(this.histogram.percentile(95)),
        p99Ms: ms(this.histogram.percentile(99)),
        maxMs: ms(this.histogram.max),
        meanMs: completed === 0 ? 0 : this.histogram.mean / 1000,
      },
      byBackend: Object.fromEntries(this.byBackend),
      elapsedMs,
      offeredRps: elapsedMs > 0 ? (this.offered * 1000) / elapsedMs : 0,
    };
  }
}
