import { HEARTBEAT_INTERVAL_MS, pruneTelemetrySnapshots, recordTelemetrySnapshot, type Store, type TelemetrySnapshotTable } from '../../control/index.js';
import type { Telemetry } from '../../telemetry/index.js';

/**
 * Seconds of telemetry that may still be arriving: with workers the primary merges their counts a
 * second or two late, so only seconds older than this are written (the same in a single process,
 * where it costs nothing but freshness).
 */
const LAG_SECONDS = 2;
/** A node that could not write for a while sends at most this many seconds at once. */
const MAX_WINDOW_SECONDS = 10;

/**
 * Writes this node's per-backend counts (requests, 5xx, p95 latency) of the whole seconds since the
 * last write into telemetry_snapshots, every 2 s, so that the fleet sees every node's traffic. The
 * rows of one write cover consecutive whole seconds and carry the window's end as `at`.
 */
export class SnapshotWriter {
  readonly #store: Store;
  readonly #nodeId: string;
  readonly #telemetry: Telemetry;
  readonly #pools: () => Iterable<string>;
  /** The last whole second already written (epoch seconds). */
  #lastSecond: number;

  constructor(options: { store: Store; nodeId: string; telemetry: Telemetry; pools: () => Iterable<string>; now?: number }) {
    this.#store = options.store;
    this.#nodeId = options.nodeId;
    this.#telemetry = options.telemetry;
    this.#pools = options.pools;
    this.#lastSecond = Math.floor((options.now ?? Date.now()) / 1000) - LAG_SECONDS - 1;
  }

  /** How often write() should run. */
  static readonly intervalMs = HEARTBEAT_INTERVAL_MS;

  /** Writes the seconds completed since the last write; a failed write is retried with the next one. */
  async write(now: number = Date.now()): Promise<void> {
    const toSecond = Math.floor(now / 1000) - LAG_SECONDS;
    const seconds = Math.min(MAX_WINDOW_SECONDS, toSecond - this.#lastSecond);
    if (seconds < 1) return;
    const at = (toSecond + 1) * 1000;
    const rows: TelemetrySnapshotTable[] = [];
    for (const pool of this.#pools()) {
      for (const window of this.#telemetry.window(pool, seconds, toSecond * 1000)) {
        rows.push({ node_id: this.#nodeId, at, pool, backend: window.id, requests: window.requests, errors: window.byClass['5xx'], latency_p95_ms: window.requests === 0 ? null : window.latencyP95Ms });
      }
    }
    await recordTelemetrySnapshot(this.#store, rows);
    this.#lastSecond = toSecond;
    await pruneTelemetrySnapshots(this.#store, this.#nodeId, now);
  }
}
