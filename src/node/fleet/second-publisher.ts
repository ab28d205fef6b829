import { pruneTelemetrySeconds, recordTelemetrySeconds, type Store } from '../../control/index.js';
import { FLEET_SECOND_FORMAT, RING_SECONDS, readFleetInflight, readFleetSeconds, type FleetSecond, type Telemetry } from '../../telemetry/index.js';

/**
 * Publishes this node's whole seconds of telemetry (per backend: status classes and the latency
 * histogram, what the monitor rules read) to `telemetry_seconds` with every heartbeat (2 s), for the
 * fleet's monitor leader. A second is published once it is complete: `lagMs` after its end (2000 in a
 * cluster primary, whose workers report every second; 0 in a single process). A write that fails is
 * retried with the next beat, up to the 5 minutes the node's telemetry holds.
 */
export class SecondPublisher {
  readonly #store: Store;
  readonly #nodeId: string;
  readonly #telemetry: Telemetry;
  readonly #lagMs: () => number;
  /** The last second already published (epoch seconds). */
  #lastSecond: number;
  /** Proxy errors (pool, code) counted up to the last publish. */
  readonly #publishedErrors = new Map<string, number>();

  constructor(options: { store: Store; nodeId: string; telemetry: Telemetry; lagMs: () => number; now?: number }) {
    this.#store = options.store;
    this.#nodeId = options.nodeId;
    this.#telemetry = options.telemetry;
    this.#lagMs = options.lagMs;
    this.#lastSecond = this.#completeSecond(options.now ?? Date.now()) - 1;
  }

  /** Publishes the seconds completed since the last publish, then prunes this node's old rows. */
  async publish(now: number = Date.now()): Promise<void> {
    const toSecond = this.#completeSecond(now);
    const fromSecond = Math.max(this.#lastSecond + 1, toSecond - RING_SECONDS + 1);
    if (toSecond < fromSecond) return;
    const bySecond = readFleetSeconds(this.#telemetry, fromSecond, toSecond);
    // The newest second always goes, idle or not: it carries the node's in-flight levels and proxy errors.
    const errors = this.#telemetry.proxyErrors().map((error) => ({ key: `${error.pool}\n${error.code}`, pool: error.pool, code: error.code, total: error.count }));
    const proxyErrors = errors
      .map((error) => ({ pool: error.pool, code: error.code, count: error.total - (this.#publishedErrors.get(error.key) ?? 0) }))
      .filter((error) => error.count > 0);
    const newest: FleetSecond = { format: FLEET_SECOND_FORMAT, backends: bySecond.get(toSecond)?.backends ?? [], inflight: readFleetInflight(this.#telemetry), proxyErrors };
    bySecond.set(toSecond, newest);
    const seconds = [...bySecond].map(([second, data]) => ({ second, dataJson: JSON.stringify(data) }));
    await recordTelemetrySeconds(this.#store, this.#nodeId, seconds);
    this.#lastSecond = toSecond;
    for (const error of errors) this.#publishedErrors.set(error.key, error.total);
    await pruneTelemetrySeconds(this.#store, this.#nodeId, now);
  }

  /** The newest second whose counts are final at `now`. */
  #completeSecond(now: number): number {
    return Math.floor((now - this.#lagMs()) / 1000) - 1;
  }
}
