import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { stringify } from 'yaml';
import { formatDurationMs, parseDurationMs } from '../config/index.js';
import { packageRoot } from '../package-root.js';
import { DrillError } from './errors.js';
import type { DrillEvent } from './drill-result.js';
import type { Scenario } from './scenario-schema.js';

// The evenkeel node a drill runs against: a child process `node bin/evenkeel.js serve <config>` on a
// fresh SQLite store in a temp dir, with free ports on 127.0.0.1 and an admin token of its own from
// EVENKEEL_BOOTSTRAP_TOKEN (the TypeScript form of bench/detection-node.js). It is a real node, the
// same binary users run, so a drill measures what production would do. stop() kills the process
// group and removes the temp dir; a process exit handler kills it too when the drill's process dies.

const BIN = join(packageRoot(), 'bin', 'evenkeel.js');
const START_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
/** The one pool of a drill's node. */
export const DRILL_POOL = 'portal';

/** The token names the drill acts as; their roles are those of docs/changes.md. */
export const DRILL_ACTORS = { automation: 'weights.sh', approver: 'approver', operator: 'operator' } as const;

/** An admin API call that answered an error; `serverCode` is the API's code (EK_CHANGE_REFUSED...). */
export class AdminCallError extends DrillError {
  readonly status: number;
  readonly serverCode: string | undefined;

  constructor(what: string, status: number, serverCode: string | undefined, message: string) {
    super('EK_DRILL_NODE', `${what}: ${status} ${serverCode ?? ''} ${message}`.replace(/\s+/g, ' ').trim());
    this.name = 'AdminCallError';
    this.status = status;
    this.serverCode = serverCode;
  }
}

/** The live pool settings the drill changes: weights by backend and the persistence bound. */
export interface PoolState {
  readonly weights: Readonly<Record<string, number>>;
  readonly bound: number;
}

export interface DrillNodeOptions {
  readonly scenario: Scenario;
  /** Backend id -> URL of its synthetic server. */
  readonly backendUrls: Readonly<Record<string, string>>;
  readonly speed: number;
}

export class DrillNode {
  readonly proxyUrl: string;
  readonly adminUrl: string;
  readonly startedAt: number;
  readonly #options: DrillNodeOptions;
  readonly #dir: string;
  readonly #ports: { proxy: number; admin: number };
  readonly #adminToken: string;
  readonly #tokens = new Map<string, string>();
  #child: ChildProcess | undefined;
  #output = '';
  #state: PoolState;
  readonly #killOnExit = () => this.#kill('SIGKILL');

  private constructor(options: DrillNodeOptions, dir: string, ports: { proxy: number; admin: number }) {
    this.#options = options;
    this.#dir = dir;
    this.#ports = ports;
    this.#adminToken = randomBytes(32).toString('hex');
    this.proxyUrl = `http://127.0.0.1:${ports.proxy}/`;
    this.adminUrl = `http://127.0.0.1:${ports.admin}`;
    this.startedAt = Date.now();
    const pool = options.scenario.pool;
    this.#state = { weights: Object.fromEntries(options.scenario.backends.ids.map((id) => [id, pool.weights[id] ?? 100])), bound: pool.persistence.bound };
  }

  /** Starts a node on free ports with a fresh store; resolves once its proxy and admin API listen. */
  static async start(options: DrillNodeOptions, signal?: AbortSignal): Promise<DrillNode> {
    const dir = await mkdtemp(join(tmpdir(), 'evenkeel-drill-'));
    const node = new DrillNode(options, dir, { proxy: await freePort(), admin: await freePort() });
    try {
      await node.#launch(signal);
      return node;
    } catch (error) {
      await node.stop();
      throw error;
    }
  }

  /** The live weights and bound as the drill last set them. */
  get state(): PoolState {
    return this.#state;
  }

  /** The node's config for a pool state, on this node's ports and store. */
  configYaml(state: PoolState = this.#state): string {
    const { scenario, backendUrls, speed } = this.#options;
    const pool = scenario.pool;
    const persistence = pool.persistence.by === 'none' ? undefined : { by: 'cookie', name: 'ek_session', ttl: '30m', bound: state.bound };
    const config = {
      listen: { http: `127.0.0.1:${this.#ports.proxy}` },
      admin: { listen: `127.0.0.1:${this.#ports.admin}` },
      store: { url: `sqlite://${join(this.#dir, 'evenkeel.db')}` },
      pools: {
        [DRILL_POOL]: {
          algorithm: pool.algorithm,
          slow_start: '0s',
          ...(persistence ? { persistence } : {}),
          health: { path: '/healthz', interval: formatDurationMs(pool.health_interval), timeout: formatDurationMs(Math.min(1000, Math.round(pool.health_interval * 0.9))) },
          backends: scenario.backends.ids.map((id) => ({ id, url: backendUrls[id], weight: state.weights[id] ?? 100 })),
        },
      },
      monitor: scaledMonitor(scenario.monitor ?? {}, speed),
      ...(scenario.policy ? { policy: scenario.policy } : {}),
    };
    return stringify(config);
  }

  /** Creates the drill's tokens (automation, approver, operator). */
  async createTokens(): Promise<void> {
    for (const [role, name] of Object.entries(DRILL_ACTORS)) {
      const created = (await this.call('POST', '/api/v1/tokens', { name, role })) as { token: string };
      this.#tokens.set(name, created.token);
    }
  }

  /** One admin API call as `actor` (a token name; the bootstrap admin when absent). Throws AdminCallError on a non-2xx answer. */
  async call(method: 'GET' | 'POST', path: string, body?: unknown, actor?: string): Promise<unknown> {
    const token = actor === undefined ? this.#adminToken : this.#tokens.get(actor);
    if (token === undefined) throw new DrillError('EK_DRILL_NODE', `no token named ${actor}`);
    const response = await request(this.adminUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.statusCode >= 300) {
      const error = parsed as { code?: string; message?: string } | undefined;
      throw new AdminCallError(`${method} ${path}`, response.statusCode, error?.code, error?.message ?? text.slice(0, 200));
    }
    return parsed;
  }

  /** Like call() for GET, but undefined when the route does not exist (404): routes other work adds. */
  async getOptional(path: string): Promise<unknown> {
    try {
      return await this.call('GET', path);
    } catch (error) {
      if (error instanceof AdminCallError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Proposes a whole config with this pool state as `author`; the state becomes the drill's once applied. */
  async propose(author: string, reason: string, state: PoolState): Promise<ChangeRef> {
    return (await this.call('POST', '/api/v1/changes', { reason, configYaml: this.configYaml(state) }, author)) as ChangeRef;
  }

  async approveAndApply(id: number, state: PoolState): Promise<ChangeRef> {
    await this.call('POST', `/api/v1/changes/${id}/approve`, { comment: 'approved in a drill' }, DRILL_ACTORS.approver);
    const applied = (await this.call('POST', `/api/v1/changes/${id}/apply`, {}, DRILL_ACTORS.approver)) as ChangeRef;
    if (applied.status === 'applied') this.#state = state;
    return applied;
  }

  /** Forgets the drill's idea of the pool state after the node changed it (a rollback). */
  resetState(state: PoolState): void {
    this.#state = state;
  }

  async alerts(): Promise<NodeAlert[]> {
    const body = await this.call('GET', '/api/v1/alerts?limit=500');
    if (Array.isArray(body)) return body as NodeAlert[];
    const list = (body as { alerts?: unknown } | undefined)?.alerts;
    return Array.isArray(list) ? (list as NodeAlert[]) : [];
  }

  async changes(): Promise<ChangeRef[]> {
    return (await this.call('GET', '/api/v1/changes?limit=1000')) as ChangeRef[];
  }

  async liveVersion(): Promise<number> {
    const live = (await this.call('GET', '/api/v1/config')) as { version?: number };
    return live.version ?? 0;
  }

  /** The node's audit log, oldest first. */
  async events(): Promise<DrillEvent[]> {
    const events: DrillEvent[] = [];
    let afterSeq = 0;
    // Bounded: at most 20 pages of 10,000 events, far more than a drill writes.
    for (let page = 0; page < 20; page++) {
      const batch = (await this.call('GET', `/api/v1/events?afterSeq=${afterSeq}&limit=10000`)) as DrillEvent[];
      for (const event of batch) events.push({ seq: event.seq, at: event.at, kind: event.kind, actor: event.actor, subject: event.subject, data: event.data });
      if (batch.length < 10_000) break;
      afterSeq = batch[batch.length - 1].seq;
    }
    return events;
  }

  /** How many of the node's incidents are still open; 0 when the node has no incident routes. */
  async openIncidents(): Promise<number> {
    const listed = await this.getOptional('/api/v1/incidents?status=open');
    return Array.isArray(listed) ? listed.length : Array.isArray((listed as { incidents?: unknown } | undefined)?.incidents) ? (listed as { incidents: unknown[] }).incidents.length : 0;
  }

  /** Incident reports in Markdown by incident id; empty when the node has no incident routes. */
  async incidentReports(): Promise<Record<string, string>> {
    const listed = await this.getOptional('/api/v1/incidents');
    const incidents = Array.isArray(listed) ? listed : Array.isArray((listed as { incidents?: unknown } | undefined)?.incidents) ? (listed as { incidents: unknown[] }).incidents : [];
    const reports: Record<string, string> = {};
    for (const incident of incidents.slice(0, 20) as { id?: number | string }[]) {
      if (incident.id === undefined) continue;
      const response = await request(`${this.adminUrl}/api/v1/incidents/${incident.id}/report?format=md`, {
        headers: { authorization: `Bearer ${this.#adminToken}` },
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      });
      const text = await response.body.text();
      if (response.statusCode === 200) reports[String(incident.id)] = text;
    }
    return reports;
  }

  /** Stops the node (SIGTERM, then SIGKILL) and removes its temp dir. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolveStop) => {
        const timer = setTimeout(() => this.#kill('SIGKILL'), STOP_GRACE_MS);
        child.once('exit', () => {
          clearTimeout(timer);
          resolveStop();
        });
        this.#kill('SIGTERM');
      });
    }
    process.removeListener('exit', this.#killOnExit);
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** The last lines the node printed, for error messages. */
  get output(): string {
    return this.#output;
  }

  async #launch(signal: AbortSignal | undefined): Promise<void> {
    const configPath = join(this.#dir, 'evenkeel.yaml');
    await writeFile(configPath, this.configYaml());
    // detached: the node leads its own process group, so stop() ends it and anything it started.
    const child = spawn(process.execPath, [BIN, 'serve', configPath], {
      cwd: this.#dir,
      env: { ...process.env, EVENKEEL_BOOTSTRAP_TOKEN: this.#adminToken, EVENKEEL_LOG_LEVEL: 'warn' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    process.once('exit', this.#killOnExit);
    const keep = (chunk: Buffer) => (this.#output = (this.#output + chunk.toString()).slice(-4096));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('error', (error) => (this.#output += `\n${error.message}`));
    try {
      await waitForPort(this.#ports.proxy, child, signal);
      await waitForPort(this.#ports.admin, child, signal);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DrillError('EK_DRILL_NODE', `the drill's node did not start: ${message}${this.#output.trim() === '' ? '' : `\n${this.#output.trim()}`}`);
    }
  }

  #kill(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // ESRCH: already gone
    }
  }
}

/** A change request as the admin API answers it (the fields a drill reads). */
export interface ChangeRef {
  readonly id: number;
  readonly status: string;
  readonly author: string;
  readonly reason: string;
  readonly needsApproval: boolean;
  readonly updatedAt: number;
  readonly appliedVersion: number | null;
  readonly rollbackOf: number | null;
  readonly findings?: readonly { rule: string; severity: string; message: string }[];
}

/** An alert as GET /api/v1/alerts answers it (the fields a drill reads). */
export interface NodeAlert {
  readonly fingerprint: string;
  readonly rule: string;
  /** Set for per-backend alerts. */
  readonly backend?: string | null;
  readonly state: string;
  readonly startedAt: number;
  readonly firingAt?: number | null;
  readonly resolvedAt?: number | null;
  readonly summary: string;
  readonly causes?: readonly { kind: string; summary: string; score: number }[];
  readonly actions?: readonly { kind: string; at: number; summary: string }[];
}

const TRAFFIC_LEARNING_DEFAULTS = { warmup: '60s', baseline_half_life: '10m' } as const;

/**
 * The scenario's monitor section with the traffic rule's learning settings divided by the speed
 * (docs/drills.md, "Speed"): the baseline learns N times faster, detection windows stay real.
 */
export function scaledMonitor(monitor: Record<string, unknown>, speed: number): Record<string, unknown> {
  const traffic = { ...((monitor.traffic as Record<string, unknown> | undefined) ?? {}) };
  for (const [key, fallback] of Object.entries(TRAFFIC_LEARNING_DEFAULTS)) {
    const ms = parseDurationMs(typeof traffic[key] === 'string' ? (traffic[key] as string) : fallback) ?? 0;
    traffic[key] = formatDurationMs(Math.max(1000, ms / speed));
  }
  return { ...monitor, traffic };
}

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts connections; rejects when the child exits, on abort, or after START_TIMEOUT_MS. */
function waitForPort(port: number, child: ChildProcess, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  return new Promise((resolveWait, reject) => {
    const attempt = () => {
      if (signal?.aborted) return reject(new DrillError('EK_DRILL_ABORTED', 'the drill was stopped'));
      if (child.exitCode !== null) return reject(new Error(`the node exited with code ${child.exitCode} before listening on port ${port}`));
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolveWait();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listened on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}
