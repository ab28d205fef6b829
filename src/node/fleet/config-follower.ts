import type pg from 'pg';
import type { Config } from '../../config/index.js';
import { CONFIG_CHANNEL, getConfigVersion, loadPg, parseConfigAnnouncement, type Store } from '../../control/index.js';
import type { Logger } from '../logger.js';

/** Safety net: even without a notification, compare the store's latest version with the live one this often. */
export const CATCH_UP_INTERVAL_MS = 3000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;
const CONNECT_TIMEOUT_MS = 5000;

export interface ConfigFollowerOptions {
  /** The store to read versions from (its own connection pool). */
  readonly store: Store;
  /** libpq connection string and our schema, for the dedicated LISTEN connection. */
  readonly connectionString: string;
  readonly schema: string | undefined;
  readonly liveVersion: () => number;
  /** Swaps the node to a committed version (the change service's adoptCommittedVersion); may throw. */
  readonly adopt: (version: number, config: Config) => boolean;
  /** Told when the version was swapped, with how long after its commit. */
  readonly onSwapped: (version: number, lagMs: number) => void;
  /** Told when the LISTEN connection comes up or goes down. */
  readonly onListening: (isListening: boolean) => void;
  /** Told whether the last read of the store worked. */
  readonly onStoreRead: (error: Error | undefined) => void;
  readonly logger: Logger;
}

/**
 * Follows the fleet's config: holds one dedicated PostgreSQL connection LISTENing on the config
 * channel and swaps to each announced version; catches up from config_versions when the connection
 * (re)opens and every few seconds, because a node that was restarting or disconnected misses
 * notifications (PostgreSQL does not queue them for absent listeners). Reconnects with backoff.
 */
export class ConfigFollower {
  readonly #options: ConfigFollowerOptions;
  #client: pg.Client | undefined;
  #schema: string | undefined;
  #isClosed = false;
  #reconnectDelayMs = RECONNECT_MIN_MS;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #catchUpTimer: NodeJS.Timeout | undefined;
  /** Catch-ups run one at a time; a request during one runs once more after it. */
  #catchingUp: Promise<void> | undefined;
  #isCatchUpPending = false;
  /** A version this node's data plane refused: logged once, not retried every few seconds. */
  #refusedVersion = 0;

  constructor(options: ConfigFollowerOptions) {
    this.#options = options;
  }

  /**
   * Opens the LISTEN connection and starts the safety-net timer. Resolves after the first attempt,
   * whether it worked or not (a failed one is retried in the background).
   */
  start(): Promise<void> {
    this.#catchUpTimer = setInterval(() => void this.catchUp(), CATCH_UP_INTERVAL_MS);
    this.#catchUpTimer.unref();
    return this.#connect();
  }

  /** Compares the store's latest version with the live one and swaps when it is newer. */
  catchUp(): Promise<void> {
    if (this.#catchingUp !== undefined) {
      this.#isCatchUpPending = true;
      return this.#catchingUp;
    }
    this.#catchingUp = this.#catchUpOnce().finally(() => {
      this.#catchingUp = undefined;
      if (this.#isCatchUpPending && !this.#isClosed) {
        this.#isCatchUpPending = false;
        void this.catchUp();
      }
    });
    return this.#catchingUp;
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    clearInterval(this.#catchUpTimer);
    clearTimeout(this.#reconnectTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
    await this.#catchingUp;
  }

  async #catchUpOnce(): Promise<void> {
    const { store, logger } = this.#options;
    let stored: Awaited<ReturnType<typeof getConfigVersion>>;
    try {
      const row = await store.db.selectFrom('config_versions').select((eb) => eb.fn.max('version').as('version')).executeTakeFirst();
      const latest = row?.version === null || row?.version === undefined ? undefined : Number(row.version);
      const isNewer = latest !== undefined && latest > this.#options.liveVersion() && latest !== this.#refusedVersion;
      stored = isNewer ? await getConfigVersion(store, latest) : undefined;
      this.#options.onStoreRead(undefined);
    } catch (error) {
      this.#options.onStoreRead(error as Error);
      return;
    }
    if (stored === undefined) return;
    try {
      if (!this.#options.adopt(stored.version, stored.config as Config)) return;
    } catch (error) {
      // The data plane refused the version: keep serving the live one, and say so once.
      this.#refusedVersion = stored.version;
      logger.error({ err: error, version: stored.version }, `fleet: version ${stored.version} could not be applied on this node; version ${this.#options.liveVersion()} stays live`);
      return;
    }
    const lagMs = Math.max(0, Date.now() - stored.createdAt);
    this.#options.onSwapped(stored.version, lagMs);
    logger.info({ version: stored.version, lagMs, author: stored.author, reason: stored.reason }, `fleet: swapped to version ${stored.version} (${lagMs} ms after it was committed)`);
  }

  async #connect(): Promise<void> {
    if (this.#isClosed) return;
    const { connectionString, schema, logger } = this.#options;
    const pg = await loadPg();
    const client = new pg.Client({
      connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    let isDropped = false;
    const onDrop = (error?: Error) => {
      if (isDropped) return;
      isDropped = true;
      if (this.#client === client) this.#client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.#isClosed) return;
      this.#options.onListening(false);
      logger.warn({ err: error, retryInMs: this.#reconnectDelayMs }, `fleet: lost the LISTEN connection to the store; still serving version ${this.#options.liveVersion()}, reconnecting`);
      this.#scheduleReconnect();
    };
    client.on('error', onDrop);
    client.on('end', () => onDrop());
    client.on('notification', (message) => {
      if (message.channel !== CONFIG_CHANNEL) return;
      const announced = parseConfigAnnouncement(message.payload);
      if (announced === undefined || announced.schema !== this.#schema) return;
      if (announced.version > this.#options.liveVersion()) void this.catchUp();
    });
    try {
      await client.connect();
      const row = await client.query<{ schema: string }>('select current_schema() as schema');
      this.#schema = row.rows[0]?.schema;
      await client.query(`LISTEN ${pg.escapeIdentifier(CONFIG_CHANNEL)}`);
    } catch (error) {
      if (!isDropped) {
        isDropped = true;
        void client.end().catch(() => undefined);
        if (this.#isClosed) return;
        this.#options.onListening(false);
        // Said once per outage; the retries of a long one go to the debug log (FleetMember reports the outage).
        const log = this.#reconnectDelayMs === RECONNECT_MIN_MS ? logger.warn.bind(logger) : logger.debug.bind(logger);
        log({ err: error, retryInMs: this.#reconnectDelayMs }, 'fleet: cannot LISTEN on the store; retrying');
        this.#scheduleReconnect();
      }
      return;
    }
    if (this.#isClosed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.#client = client;
    this.#reconnectDelayMs = RECONNECT_MIN_MS;
    this.#options.onListening(true);
    // Whatever was announced while this connection was not listening.
    await this.catchUp();
  }

  #scheduleReconnect(): void {
    const delayMs = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(RECONNECT_MAX_MS, delayMs * 2);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delayMs);
    this.#reconnectTimer.unref();
  }
}
