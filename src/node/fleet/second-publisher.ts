import { pruneTelemetrySeconds, recordTelemetrySeconds, type Store } from '../../control/index.js';
import { FLEET_SECOND_FORMAT, RING_SECONDS, readFleetInflight, readFleetKeys, readFleetSeconds, type FleetSecond, type SecondKeys, type Telemetry } from '../../telemetry/index.js';

/** How often noteKeys() should run: every second, so the request sample still holds the second it reads. */
export const KEY_NOTE_INTERVAL_MS = 1000;

/**
 * Publishes this node's whole seconds of telemetry (per backend: status classes and the latency
 * histogram, what the monitor rules read) to `telemetry_seconds` with every heartbeat (2 s), for the
 * fleet's monitor leader. A second is published once it is complete: `lagMs` after its end (2000 in a
 * cluster primary, whose workers report every second; 0 in a single process). A write that fails is
 * retried with the next beat, up to the 5 minutes the node's telemetry holds.
 *
 * Each second also carries the busiest persistence keys of every pool (readFleetKeys). Those come
 * from the request sample, which in a single process holds only the last 10,000 picks of a pool (a
 * second or two when it is busy), so noteKeys() reads each second as soon as it is complete, every
 * second, and keeps the result until it is published.
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
  /** Keys read by noteKeys() and not published yet, by second. */
  readonly #keysBySecond = new Map<number, SecondKeys[]>();
  /** The last second noteKeys() read. */
  #lastKeySecond: number;

  constructor(options: { store: Store; nodeId: string; telemetry: Telemetry; lagMs: () => number; now?: number }) {
    this.#store = options.store;
    this.#nodeId = options.nodeId;
    this.#telemetry = options.telemetry;
    this.#lagMs = options.lagMs;
    this.#lastSecond = this.#completeSecond(options.now ?? Date.now()) - 1;
    this.#lastKeySecond = this.#lastSecond;
  }

  /** Reads the busiest keys of the seconds completed since the last call (call every KEY_NOTE_INTERVAL_MS). */
  noteKeys(now: number = Date.now()): void {
    const toSecond = this.#completeSecond(now);
    for (let second = Math.max(this.#lastKeySecond + 1, toSecond - 2); second <= toSecond; second++) {
      const keys = readFleetKeys(this.#telemetry, second);
      if (keys.length > 0) this.#keysBySecond.set(second, keys);
    }
    this.#lastKeySecond = Math.max(this.#lastKeySecond, toSecond);
    // Seconds a failing store kept from being published go when the node's telemetry no longer holds them.
    for (const second of this.#keysBySecond.keys()) if (second <= toSecond - RING_SECONDS) this.#keysBySecond.delete(second);
  }

  /** Publishes the seconds completed since the last publish, then prunes this node's old rows. */
  async publish(now: number = Date.now()): Promise<void> {
    const toSecond = this.#completeSecond(now);
    const fromSecond = Math.max(this.#lastSecond + 1, toSecond - RING_SECONDS + 1);
    if (toSecond < fromSecond) return;
    this.noteKeys(now);
    const bySecond = readFleetSeconds(this.#telemetry, fromSecond, toSecond);
    // The newest second always goes, idle or not: it carries the node's in-flight levels and proxy errors.
    const errors = this.#telemetry.proxyErrors().map((error) => ({ key: `${error.pool}\n${error.code}`, pool: error.pool, code: error.code, total: error.count }));
    const proxyErrors = errors
      .map((error) => ({ pool: error.pool, code: error.code, count: error.total - (this.#publishedErrors.get(error.key) ?? 0) }))
      .filter((error) => error.count > 0);
    const newest: FleetSecond = { format: FLEET_SECOND_FORMAT, backends: bySecond.get(toSecond)?.backends ?? [], inflight: readFleetInflight(this.#telemetry), proxyErrors };
    bySecond.set(toSecond, newest);
    // A second whose requests all finished later has sampled picks but no counts of its own.
    for (const second of this.#keysBySecond.keys()) if (second >= fromSecond && second <= toSecond && !bySecond.has(second)) bySecond.set(second, { format: FLEET_SECOND_FORMAT, backends: [] });
    const seconds = [...bySecond].sort((a, b) => a[0] - b[0]).map(([second, data]) => {
      const keys = this.#keysBySecond.get(second);
      return { second, dataJson: JSON.stringify(keys === undefined ? data : { ...data, keys }) };
    });
    await recordTelemetrySeconds(this.#store, this.#nodeId, seconds);
    this.#lastSecond = toSecond;
    for (const second of this.#keysBySecond.keys()) if (second <= toSecond) this.#keysBySecond.delete(second);
    for (const error of errors) this.#publishedErrors.set(error.key, error.total);
    await pruneTelemetrySeconds(this.#store, this.#nodeId, now);
  }

  /** The newest second whose counts are final at `now`. */
  #completeSecond(now: number): number {
    return Math.floor((now - this.#lagMs()) / 1000) - 1;
  }
}
