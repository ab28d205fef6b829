import os from 'node:os';
import { Gauge, Histogram, type Registry } from 'prom-client';
import { parseStoreUrl, recordNodeHeartbeat, removeNode, HEARTBEAT_INTERVAL_MS, type ChangeService, type Store } from '../../control/index.js';
import type { Telemetry } from '../../telemetry/index.js';
import type { Logger } from '../logger.js';
import { ConfigFollower } from './config-follower.js';
import { nodeIdOf } from './node-identity.js';
import { KEY_NOTE_INTERVAL_MS, SecondPublisher } from './second-publisher.js';
import { SnapshotWriter } from './snapshot-writer.js';

/** How long a clean shutdown waits to remove the node's row before giving up (the row then ages to `gone`). */
const DEREGISTER_TIMEOUT_MS = 2000;

export interface FleetMemberOptions {
  readonly store: Store;
  /** The store URL (postgres://...), for the dedicated LISTEN connection. */
  readonly storeUrl: string;
  readonly changes: ChangeService;
  readonly adminUrl: string;
  readonly logger: Logger;
  /** The node's telemetry and its live pools' names, for the per-node snapshots. */
  readonly telemetry: Telemetry;
  readonly poolNames: () => Iterable<string>;
  /** How far behind real time this node's whole seconds of telemetry are (2000 with workers, else 0). */
  readonly telemetryLagMs: () => number;
  /** Whether this node leads the fleet's monitor now. */
  readonly isLeader: () => boolean;
}

/** This node as the fleet sees it, for /healthz, the metrics and GET /api/v1/fleet. */
export interface FleetSelf {
  readonly id: string;
  readonly hostname: string;
  readonly adminUrl: string;
  readonly startedAt: number;
  readonly configVersion: number;
  readonly isStoreUp: boolean;
  /** Since when the store is unreachable (epoch ms), while it is. */
  readonly storeDownSince: number | null;
  readonly storeError: string | null;
  /** The last version this node took from another node, and how long after its commit. */
  readonly lastSwap: { version: number; lagMs: number; at: number } | null;
  /** This node holds the monitor lock: it evaluates the rules, alerts and rolls back for the fleet. */
  readonly isLeader: boolean;
}

/**
 * One node of a fleet (a PostgreSQL store): registers itself and writes a heartbeat and a snapshot of
 * its per-backend traffic every 2 s,
 * follows the fleet's config (ConfigFollower), and knows whether the store is reachable. A node that
 * cannot reach the store keeps serving its last config; /healthz and evenkeel_store_up say so.
 */
export class FleetMember {
  readonly id: string;
  readonly hostname = os.hostname();
  readonly startedAt = Date.now();
  readonly #options: FleetMemberOptions;
  readonly #follower: ConfigFollower;
  readonly #snapshots: SnapshotWriter;
  readonly #seconds: SecondPublisher;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #keyTimer: NodeJS.Timeout | undefined;
  #heartbeat: Promise<void> | undefined;
  #isBeatPending = false;
  /** Set by close(): no heartbeat may recreate the row it removes. */
  #isClosed = false;
  #isListening = false;
  /** Store state changes are logged once start() has seen the first LISTEN attempt. */
  #isStarted = false;
  #storeError: Error | undefined;
  #storeDownSince: number | null = null;
  #lastSwap: FleetSelf['lastSwap'] = null;
  /** evenkeel_config_swap_lag_seconds, once registerMetrics() ran. */
  #swapLag: Histogram | undefined;

  constructor(options: FleetMemberOptions) {
    this.#options = options;
    this.id = nodeIdOf(options.adminUrl);
    this.#snapshots = new SnapshotWriter({ store: options.store, nodeId: this.id, telemetry: options.telemetry, pools: options.poolNames });
    this.#seconds = new SecondPublisher({ store: options.store, nodeId: this.id, telemetry: options.telemetry, lagMs: options.telemetryLagMs });
    const location = parseStoreUrl(options.storeUrl);
    if (location.dialect !== 'postgres') throw new Error('a fleet member needs a PostgreSQL store');
    this.#follower = new ConfigFollower({
      store: options.store,
      connectionString: location.connectionString,
      schema: location.schema,
      liveVersion: () => options.changes.liveVersion(),
      adopt: (version, config) => options.changes.adoptCommittedVersion(version, config),
      onSwapped: (version, lagMs) => {
        this.#lastSwap = { version, lagMs, at: Date.now() };
        this.#swapLag?.observe(lagMs / 1000);
      },
      onListening: (isListening) => {
        this.#isListening = isListening;
        this.#noteStoreState();
      },
      onStoreRead: (error) => this.#noteStoreRead(error),
      logger: options.logger,
    });
  }

  /** Follows the config, registers the node (the first heartbeat), then beats every 2 s. */
  async start(): Promise<void> {
    // Follow first: a version committed while the node was starting is caught up before it registers.
    await this.#follower.start();
    await this.#beat();
    this.#heartbeatTimer = setInterval(() => void this.#beat(), HEARTBEAT_INTERVAL_MS);
    this.#heartbeatTimer.unref();
    this.#keyTimer = setInterval(() => this.#seconds.noteKeys(), KEY_NOTE_INTERVAL_MS);
    this.#keyTimer.unref();
    this.#isStarted = true;
    this.#noteStoreState();
  }

  get isStoreUp(): boolean {
    return this.#isListening && this.#storeError === undefined;
  }

  describeSelf(): FleetSelf {
    return {
      id: this.id,
      hostname: this.hostname,
      adminUrl: this.#options.adminUrl,
      startedAt: this.startedAt,
      configVersion: this.#options.changes.liveVersion(),
      isStoreUp: this.isStoreUp,
      storeDownSince: this.#storeDownSince,
      storeError: this.isStoreUp ? null : (this.#storeError?.message ?? 'the LISTEN connection to the store is not open'),
      lastSwap: this.#lastSwap,
      isLeader: this.#options.isLeader(),
    };
  }

  /** Why the node is degraded, or undefined when it is not. */
  degradedReason(): string | undefined {
    if (this.isStoreUp) return undefined;
    const self = this.describeSelf();
    const since = self.storeDownSince === null ? '' : ` for ${Math.round((Date.now() - self.storeDownSince) / 1000)} s`;
    return `the store ${this.#options.store.displayUrl} is unreachable${since} (${self.storeError ?? 'unknown'}); serving config version ${self.configVersion} until it is back`;
  }

  /** evenkeel_store_up and evenkeel_config_version in the node's registry. */
  registerMetrics(registry: Registry): void {
    const isStoreUp = () => this.isStoreUp;
    const liveVersion = () => this.#options.changes.liveVersion();
    new Gauge({
      name: 'evenkeel_store_up',
      help: '1 when this node reaches the fleet store (heartbeat written, LISTEN connection open), else 0: the node then serves its last config.',
      registers: [registry],
      collect() {
        this.set(isStoreUp() ? 1 : 0);
      },
    });
    this.#swapLag = new Histogram({
      name: 'evenkeel_config_swap_lag_seconds',
      help: 'From the commit of a config version on another node of the fleet to this node serving it.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    new Gauge({
      name: 'evenkeel_config_version',
      help: 'The config version this node serves.',
      registers: [registry],
      collect() {
        this.set(liveVersion());
      },
    });
  }

  /** Stops beating and following, and removes the node's row (bounded: a dead store must not hold up the shutdown). */
  async close(): Promise<void> {
    this.#isClosed = true;
    clearInterval(this.#heartbeatTimer);
    clearInterval(this.#keyTimer);
    await this.#follower.close();
    await this.#heartbeat;
    if (!this.isStoreUp) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DEREGISTER_TIMEOUT_MS);
    });
    await Promise.race([
      removeNode(this.#options.store, this.id).catch((error: unknown) => this.#options.logger.warn({ err: error }, 'fleet: could not remove this node from the nodes table')),
      timeout,
    ]);
    clearTimeout(timer);
  }

  /**
   * The node went live on another version (any path: a local apply, a rollback, a file reload, the
   * follower): tell the fleet now rather than at the next beat. Deferred, because the change service
   * records its live version only once the swap returns.
   */
  noteLiveVersionChanged(): void {
    setImmediate(() => void this.#beat());
  }

  #beat(): Promise<void> {
    // One heartbeat at a time: a slow store must not pile them up; one asked for meanwhile runs after it.
    if (this.#isClosed) return Promise.resolve();
    if (this.#heartbeat !== undefined) {
      this.#isBeatPending = true;
      return this.#heartbeat;
    }
    this.#heartbeat = recordNodeHeartbeat(this.#options.store, {
      id: this.id,
      hostname: this.hostname,
      startedAt: this.startedAt,
      configVersion: this.#options.changes.liveVersion(),
      adminUrl: this.#options.adminUrl,
    })
      .then(() => this.#snapshots.write())
      .then(() => this.#seconds.publish())
      .then(
        () => this.#noteStoreRead(undefined),
        (error: unknown) => this.#noteStoreRead(error as Error),
      )
      .finally(() => {
        this.#heartbeat = undefined;
        if (this.#isBeatPending) {
          this.#isBeatPending = false;
          void this.#beat();
        }
      });
    return this.#heartbeat;
  }

  #noteStoreRead(error: Error | undefined): void {
    this.#storeError = error;
    this.#noteStoreState();
  }

  #noteStoreState(): void {
    if (!this.#isStarted) return;
    if (this.isStoreUp) {
      if (this.#storeDownSince === null) return;
      this.#options.logger.info({ downMs: Date.now() - this.#storeDownSince }, 'fleet: the store is reachable again');
      this.#storeDownSince = null;
    } else if (this.#storeDownSince === null) {
      this.#storeDownSince = Date.now();
      this.#options.logger.error({ err: this.#storeError }, `fleet: ${this.degradedReason() ?? 'the store is unreachable'}`);
    }
  }
}
