import { createHash } from 'node:crypto';
import type pg from 'pg';
import { loadPg, MONITOR_LOCK_CLASS } from '../../control/index.js';
import type { Logger } from '../logger.js';

/** How often a node without the lock tries to take it, and the leader checks its lock connection. */
export const LEADERSHIP_POLL_MS = 1000;
const CONNECT_TIMEOUT_MS = 5000;
/** A check of the lock connection that takes longer than this counts as a lost connection. */
const CHECK_TIMEOUT_MS = 3000;
/**
 * How the database server notices a leader whose packets stopped arriving (a cut cable, a partition,
 * a frozen VM): TCP keepalive after 5 s of silence, probes 1 s apart, given up after 3, and at most
 * 8 s of unacknowledged data. Set for the lock session only, so the lock is free for another node
 * about 8 s after the leader went silent, instead of after the server's default keepalive (2 h on
 * Linux). The old leader has stepped down by then (its own check fails within CHECK_TIMEOUT_MS).
 */
export const LOCK_SESSION_KEEPALIVE = { idleS: 5, intervalS: 1, count: 3, userTimeoutMs: 8000 } as const;

export interface MonitorLeadershipOptions {
  /** libpq connection string and the fleet's schema (the lock is per database: the schema names it). */
  readonly connectionString: string;
  readonly schema: string | undefined;
  /** The node took the lock; `pid` is the backend pid of its lock connection. Awaited before the next poll. */
  readonly onLeading: (pid: number) => Promise<void>;
  /** The node lost the lock (its connection broke) or is closing while it held it. Awaited. */
  readonly onFollowing: () => Promise<void>;
  readonly logger: Logger;
}

/**
 * Elects the fleet's monitor leader with a PostgreSQL session advisory lock: every node holds one
 * dedicated connection and calls pg_try_advisory_lock on it every second until it gets the lock; the
 * leader then checks the connection every second. The lock lives as long as the connection: a leader
 * that dies (SIGKILL, power) or is cut off from the database loses it, and another node takes it at
 * its next try. A leader that finds its connection broken steps down at once, before any other node
 * can lead, as far as its own clock goes (docs/fleet.md, "One monitor for the fleet").
 */
export class MonitorLeadership {
  readonly #options: MonitorLeadershipOptions;
  readonly #key: number;
  #client: pg.Client | undefined;
  #isLeader = false;
  #isClosed = false;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();
  #hasWarned = false;

  constructor(options: MonitorLeadershipOptions) {
    this.#options = options;
    this.#key = monitorLockKey(options.schema);
  }

  get isLeader(): boolean {
    return this.#isLeader;
  }

  /** Makes the first attempt (so a lone node leads before start() resolves), then polls every second. */
  async start(): Promise<void> {
    this.#polling = this.#poll();
    await this.#polling;
    this.#schedule();
  }

  /** Stops polling; a leader steps down (onFollowing) and then releases the lock by closing its connection. */
  async close(): Promise<void> {
    this.#isClosed = true;
    clearTimeout(this.#timer);
    await this.#polling;
    await this.#stepDown('the node is stopping');
    await this.#dropClient();
  }

  #schedule(): void {
    if (this.#isClosed) return;
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => this.#schedule());
    }, LEADERSHIP_POLL_MS);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    try {
      const client = await this.#connection();
      if (this.#isLeader) {
        await withTimeout(client.query('select 1'), CHECK_TIMEOUT_MS);
        return;
      }
      const result = await withTimeout(
        client.query<{ locked: boolean; pid: number }>('select pg_try_advisory_lock($1, $2) as locked, pg_backend_pid() as pid', [MONITOR_LOCK_CLASS, this.#key]),
        CHECK_TIMEOUT_MS,
      );
      const row = result.rows[0];
      if (row?.locked !== true || this.#isClosed) return;
      this.#isLeader = true;
      this.#hasWarned = false;
      this.#options.logger.info({ pid: row.pid }, 'fleet: this node took the monitor lock; it evaluates the monitor rules for the fleet');
      await this.#options.onLeading(Number(row.pid));
    } catch (error) {
      if (!this.#hasWarned) this.#options.logger.warn({ err: error }, 'fleet: the monitor lock connection failed; retrying every second');
      this.#hasWarned = true;
      await this.#stepDown('its monitor lock connection broke');
      await this.#dropClient();
    }
  }

  async #stepDown(why: string): Promise<void> {
    if (!this.#isLeader) return;
    this.#isLeader = false;
    this.#options.logger.warn({}, `fleet: this node no longer leads the monitor (${why}); another node takes over`);
    try {
      await this.#options.onFollowing();
    } catch (error) {
      this.#options.logger.error({ err: error }, 'fleet: stopping the monitor failed');
    }
  }

  async #connection(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const pg = await loadPg();
    const client = new pg.Client({ connectionString: this.#options.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: 'evenkeel-monitor-lock' });
    // A broken connection is seen by the next poll's query; the event must not crash the process.
    client.on('error', (error) => this.#options.logger.debug({ err: error }, 'fleet: monitor lock connection error'));
    this.#client = client;
    try {
      await client.connect();
      const { idleS, intervalS, count, userTimeoutMs } = LOCK_SESSION_KEEPALIVE;
      await client.query(`set tcp_keepalives_idle = ${idleS}; set tcp_keepalives_interval = ${intervalS}; set tcp_keepalives_count = ${count}`);
      // tcp_user_timeout is PostgreSQL 12 and later; without it keepalive alone still bounds an idle session.
      await client.query(`set tcp_user_timeout = ${userTimeoutMs}`).catch(() => undefined);
    } catch (error) {
      this.#client = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  async #dropClient(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    // Bounded: a connection that hangs must not hold up the next attempt or the shutdown.
    if (client !== undefined) await withTimeout(client.end(), CHECK_TIMEOUT_MS).catch(() => undefined);
  }
}

/** The second key of the lock: the same for every node of one fleet, different for fleets in other schemas of one database. */
export function monitorLockKey(schema: string | undefined): number {
  return createHash('sha256')
    .update(`evenkeel-monitor:${schema ?? 'public'}`)
    .digest()
    .readUInt32BE(0) & 0x7fffffff;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the store within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
