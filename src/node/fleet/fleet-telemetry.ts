import { readTelemetrySeconds, type Store } from '../../control/index.js';
import { mergeFleetSecond, RING_SECONDS, Telemetry } from '../../telemetry/index.js';
import type { Logger } from '../logger.js';

/** How often the leader reads the seconds the nodes published. */
export const FLEET_READ_INTERVAL_MS = 500;
/** Seconds published this late (a node that could not write for a while) are still merged. */
const LATE_SECONDS = 60;
/** How far before the nodes' newest seconds a read starts: a node that just started writes a few seconds back. */
const NEW_NODE_MARGIN_SECONDS = 10;
/** A node whose newest published second is this old has its in-flight levels forgotten. */
const STALE_NODE_SECONDS = 10;

/**
 * The fleet-wide telemetry the monitor leader evaluates: every node's published seconds
 * (telemetry_seconds) merged into one Telemetry, each (node, second) once. Started when the node
 * takes the lead, with the last 5 minutes the table holds, so a new leader's rules see the same
 * windows as the old one's; read again every 500 ms.
 */
export class FleetTelemetry {
  readonly telemetry = new Telemetry({ isFleet: true });
  readonly #store: Store;
  readonly #logger: Logger;
  /** `${node}:${second}` merged already, for the seconds still read again. */
  readonly #merged = new Set<string>();
  /** Each publishing node as a worker of the fleet's telemetry (its in-flight levels), and its newest second. */
  readonly #nodes = new Map<string, { source: string; number: number; newestSecond: number }>();
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> = Promise.resolve();
  #isReading = false;
  #hasFailed = false;

  constructor(options: { store: Store; logger: Logger }) {
    this.#store = options.store;
    this.#logger = options.logger;
  }

  /** Merges what the table holds of the last 5 minutes, then keeps reading. */
  async start(): Promise<void> {
    await this.read(RING_SECONDS);
    this.#timer = setInterval(() => {
      if (this.#isReading) return;
      this.#isReading = true;
      this.#reading = this.read(LATE_SECONDS).finally(() => {
        this.#isReading = false;
      });
    }, FLEET_READ_INTERVAL_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#reading;
  }

  /**
   * Where a read starts: a node writes its seconds in order, each write in one statement, so every
   * second up to the newest one read from a node is read. Reading from the oldest of the nodes' newest
   * seconds (less a margin for a node starting up, whose first write reaches back a few seconds) keeps
   * a read to the few seconds written since the last one, instead of the whole minute.
   */
  #fromSecond(oldest: number): number {
    if (this.#nodes.size === 0) return oldest;
    const newest = Math.min(...[...this.#nodes.values()].map((node) => node.newestSecond));
    return Math.max(oldest, newest - NEW_NODE_MARGIN_SECONDS);
  }

  /** Merges the seconds of the last `seconds` seconds not merged yet. Exposed for tests. */
  async read(seconds: number, now: number = Date.now()): Promise<void> {
    const fromSecond = this.#fromSecond(Math.floor(now / 1000) - seconds);
    try {
      const rows = await readTelemetrySeconds(this.#store, fromSecond);
      for (const row of rows) {
        const key = `${row.nodeId}:${row.second}`;
        if (this.#merged.has(key)) continue;
        this.#merged.add(key);
        let node = this.#nodes.get(row.nodeId);
        if (node === undefined) {
          node = { source: `fleet:${row.nodeId}`, number: this.#nodes.size + 1, newestSecond: row.second };
          this.#nodes.set(row.nodeId, node);
        }
        node.newestSecond = Math.max(node.newestSecond, row.second);
        try {
          mergeFleetSecond(this.telemetry, row.second, row.data, node);
        } catch (error) {
          this.#logger.error({ err: error, node: row.nodeId, second: row.second }, 'fleet monitor: a published second cannot be merged; it is skipped');
        }
      }
      // A node that stopped publishing (stopped, crashed, cut off) has nothing in flight any more.
      for (const node of this.#nodes.values()) if (node.newestSecond < Math.floor(now / 1000) - STALE_NODE_SECONDS) this.telemetry.forgetWorker(node.number);
      for (const key of this.#merged) if (Number(key.slice(key.lastIndexOf(':') + 1)) < fromSecond - LATE_SECONDS) this.#merged.delete(key);
      if (this.#hasFailed) this.#logger.info({}, 'fleet monitor: reading the published telemetry again');
      this.#hasFailed = false;
    } catch (error) {
      if (!this.#hasFailed) this.#logger.warn({ err: error }, 'fleet monitor: could not read the telemetry the nodes published; the rules see no new seconds until it can');
      this.#hasFailed = true;
    }
  }
}
