import type { Config } from '../config/index.js';
import { createPicker, type PoolMembers } from '../balance/index.js';
import { buildSnapshot, retireSnapshot, ProxyServer, type OutcomeObserver, type ProxySnapshot } from '../proxy/index.js';
import { createAccessLog, type TelemetrySink } from '../telemetry/index.js';
import { splitListenAddress } from '../config/index.js';

export interface DataPlaneOptions {
  cookieSecret: string;
  telemetry: TelemetrySink;
  outcomes: OutcomeObserver;
  accessLog: boolean;
}

/**
 * The proxy of one process: a ProxyServer serving the current snapshot. Config swaps build a new
 * snapshot that reuses backend state and upstream connections; in-flight requests finish on the
 * snapshot they started with.
 */
export class DataPlane {
  private readonly options: DataPlaneOptions;
  private snapshotNow: ProxySnapshot;
  private readonly server: ProxyServer;
  private readonly makePicker: Parameters<typeof buildSnapshot>[2];

  constructor(config: Config, options: DataPlaneOptions) {
    this.options = options;
    const cookieSecret = options.cookieSecret;
    this.makePicker = (pool, members) => createPicker(pool, members, { cookieSecret });
    this.snapshotNow = buildSnapshot(config, undefined, this.makePicker);
    this.server = new ProxyServer({
      snapshot: this.snapshotNow,
      telemetry: options.telemetry,
      outcomes: options.outcomes,
      accessLog: options.accessLog || config.proxy.access_log ? createAccessLog({}) : undefined,
    });
  }

  get snapshot(): ProxySnapshot {
    return this.snapshotNow;
  }

  /** The members of every pool, for health/ and the admin API. */
  poolMembers(): PoolMembers[] {
    return [...this.snapshotNow.pools.values()].map((pool) => pool.members);
  }

  /** Opens the listeners the config names. */
  async listen(): Promise<void> {
    const { listen } = this.snapshotNow.config;
    if (listen.http) {
      const { host, port } = splitListenAddress(listen.http);
      await this.server.listenHttp(host, port);
    }
    if (listen.https) {
      const { host, port } = splitListenAddress(listen.https.address);
      await this.server.listenHttps(host, port, listen.https.cert, listen.https.key);
    }
  }

  /** Swaps to a new config atomically; returns the new snapshot. */
  swap(config: Config): ProxySnapshot {
    const previous = this.snapshotNow;
    const next = buildSnapshot(config, previous, this.makePicker);
    this.server.swap(next);
    this.snapshotNow = next;
    retireSnapshot(previous, next);
    return next;
  }

  /** Stops accepting, lets in-flight requests finish for up to drainMs, then closes. */
  close(drainMs: number): Promise<void> {
    return this.server.close(drainMs);
  }
}
