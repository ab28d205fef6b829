import { readFileSync } from 'node:fs';
import { ConfigError, parseConfigText, splitListenAddress, type Config } from '../config/index.js';
import type { PoolMembers } from '../balance/index.js';
import { HealthCoordinator, type HealthEvent } from '../health/index.js';
import { Gauge } from 'prom-client';
import { Telemetry, createMetricsRegistry } from '../telemetry/index.js';
import { startAdminServer } from '../admin/index.js';
import type { ProxySnapshot } from '../proxy/index.js';
import { appendEvent, EVENT_KINDS, type Store } from '../control/index.js';
import type { ChangeService } from '../control/index.js';
import { watchConfigFile } from './config-watch.js';
import { crashNow, crashPointFromEnv } from './crash-point.js';
import { isFileRecordedInFleet, openControlPlane, proposeFileChange, type BootstrapNotice } from './control-plane.js';
import type { Logger } from './logger.js';
import { NodeMonitor } from './node-monitor.js';
import { builtinDrillEngine, DrillService } from './drill-service.js';
import { FleetMember } from './fleet/fleet-member.js';
import { FleetMonitor } from './fleet/fleet-monitor.js';
import { localizeConfig } from './fleet/node-local-settings.js';

/**
 * The parts of a node that exist once per node whatever the number of workers: the store and the
 * change service, health checking, node-wide telemetry, the admin listener and reload triggers.
 *
 * Every config that goes live goes through applyConfig(config, version), called by the change service
 * after the version is committed: changes from the admin API, rollbacks and the config file alike.
 */
export class Control {
  readonly configPath: string;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly health: HealthCoordinator;
  /** The live config and the store version it is. */
  config: Config;
  version = 0;
  private storeNow: Store | undefined;
  private changesNow: ChangeService | undefined;
  private snapshot: ProxySnapshot | undefined;
  private admin: { close(): Promise<void> } | undefined;
  private watcher: { close(): void } | undefined;
  private readonly onSighup = () => void this.requestReload('SIGHUP');
  private reloadHandler: ((config: Config) => void) | undefined;
  /** File reloads run one at a time, in the order they were asked for. */
  private reloadQueue: Promise<unknown> = Promise.resolve();
  private readonly crashPoint = crashPointFromEnv();
  /** The config file as loaded at start: in a fleet, where the node-local settings come from. */
  private readonly fileConfig: Config;
  /** Shared config -> the config this node serves (identity unless the store is a fleet's PostgreSQL). */
  private localize: (config: Config) => Config = (config) => config;
  /** This node's membership of a fleet (PostgreSQL store only), once the admin API listens. */
  private fleetMember: FleetMember | undefined;
  private nodeMonitor: NodeMonitor | undefined;
  /** startMonitor()'s lag, once it ran; in a fleet the monitor starts when this node takes the monitor lock. */
  private monitorLagMs: number | undefined;
  /** The fleet's monitor election (PostgreSQL store only). */
  private fleetMonitor: FleetMonitor | undefined;
  /** The built-in drills the admin API starts (one at a time), once the admin API listens. */
  private drills: DrillService | undefined;
  /** Health transitions are appended to the audit log one at a time, in order; close() waits for them. */
  private healthEvents: Promise<void> = Promise.resolve();

  /** `fileConfig` is the config file as loaded; open() decides what the node serves. */
  constructor(configPath: string, fileConfig: Config, logger: Logger) {
    this.configPath = configPath;
    this.config = fileConfig;
    this.fileConfig = fileConfig;
    this.logger = logger;
    this.telemetry = new Telemetry();
    this.health = new HealthCoordinator({ onChange: (event) => this.logHealth(event) });
  }

  get store(): Store {
    if (this.storeNow === undefined) throw new Error('Control.open() has not run');
    return this.storeNow;
  }

  get changes(): ChangeService {
    if (this.changesNow === undefined) throw new Error('Control.open() has not run');
    return this.changesNow;
  }

  /**
   * Opens the store named by the file's store.url (running migrations), makes sure an admin token
   * exists, and picks the config to start with (see control-plane.ts). Call before the data plane is
   * built from `config`. Resolves to the bootstrap token to print, when one was just created.
   */
  async open(fileText: string): Promise<BootstrapNotice | undefined> {
    const opened = await openControlPlane({
      fileConfig: this.config,
      fileText,
      configPath: this.configPath,
      logger: this.logger,
      applyLive: (config, version) => this.applyConfig(this.localize(config), version),
      simulateWith: () => ({ sample: this.telemetry.requestSample.read(), liveBackends: this.liveBackends() }),
      backendHealth: (pool, backend) => this.snapshot?.pools.get(pool)?.members.backends.find((candidate) => candidate.id === backend)?.isHealthy,
    });
    this.storeNow = opened.store;
    this.changesNow = opened.changes;
    if (opened.store.dialect === 'postgres') {
      const fileConfig = this.fileConfig;
      this.localize = (config) => localizeConfig(config, fileConfig);
    }
    this.config = this.localize(opened.changes.liveConfig());
    this.version = opened.changes.liveVersion();
    return opened.bootstrap;
  }

  /**
   * The one way a config goes live in this node. Synchronous and store-free: the version is already
   * committed when the change service calls it. Before the data plane exists it only sets the config.
   */
  applyConfig(config: Config, version: number): void {
    if (this.crashPoint === 'after-commit' && this.reloadHandler !== undefined) crashNow('after-commit');
    const restartOnly = describeRestartOnlyChanges(this.config, config);
    if (restartOnly.length > 0 && this.reloadHandler !== undefined) {
      this.logger.warn({ fields: restartOnly, version }, `these settings change only on restart: ${restartOnly.join(', ')}`);
    }
    this.config = config;
    this.version = version;
    this.reloadHandler?.(config);
    this.fleetMember?.noteLiveVersionChanged();
  }

  /** Points health checking and the admin API at a (new) snapshot's pools. */
  adopt(snapshot: ProxySnapshot): void {
    this.snapshot = snapshot;
    this.health.setPools([...snapshot.pools.values()].map((pool) => ({ members: pool.members, config: pool.config })));
  }

  /**
   * Starts the monitor on the adopted snapshot's pools (call once the data plane exists). `lagMs` is
   * how far behind real time whole seconds of telemetry are: 2000 in a cluster primary, whose workers
   * send deltas every second, 0 in a single process.
   */
  startMonitor(lagMs: number): void {
    if (this.nodeMonitor !== undefined || this.monitorLagMs !== undefined) return;
    this.monitorLagMs = lagMs;
    // A fleet runs one monitor, on the leader (startAdmin starts the election); a SQLite node is a fleet of one.
    if (this.store.dialect === 'postgres') return;
    this.nodeMonitor = this.createNodeMonitor(this.telemetry, lagMs);
    this.nodeMonitor.start();
  }

  private createNodeMonitor(telemetry: Telemetry, lagMs: number): NodeMonitor {
    return new NodeMonitor({
      telemetry,
      pools: () => (this.snapshot ? [...this.snapshot.pools.values()].map((pool) => ({ members: pool.members, config: pool.config })) : []),
      config: () => this.config,
      store: this.store,
      changes: this.changes,
      logger: this.logger,
      lagMs,
    });
  }

  /** The running monitor (alerts, traffic baseline), once startMonitor() ran. */
  get monitor(): NodeMonitor['monitor'] | undefined {
    return this.nodeMonitor?.monitor;
  }

  pools(): PoolMembers[] {
    return this.snapshot ? [...this.snapshot.pools.values()].map((pool) => pool.members) : [];
  }

  /** Starts the admin listener; resolves to its URL. */
  async startAdmin(): Promise<string> {
    const { host, port } = splitListenAddress(this.config.admin.listen);
    const registry = createMetricsRegistry(this.telemetry, () => (this.snapshot ? this.snapshot.pools.values() : []));
    const drills = new DrillService({ store: this.store, engine: builtinDrillEngine(this.logger), logger: this.logger });
    this.drills = drills;
    const admin = await startAdminServer({
      host,
      port,
      registry,
      telemetry: this.telemetry,
      pools: () => (this.snapshot ? this.snapshot.pools.values() : []),
      store: this.store,
      changes: this.changes,
      monitor: () => this.nodeMonitor?.monitor,
      drills,
      fleet: () => this.fleetMember,
      onError: (error) => this.logger.error({ err: error }, 'admin API route failed'),
    });
    this.admin = admin;
    const shownHost = admin.address.family === 'IPv6' ? `[${admin.address.address}]` : admin.address.address;
    const adminUrl = `http://${shownHost}:${admin.address.port}`;
    if (this.store.dialect === 'postgres') {
      // A PostgreSQL store is a fleet's: register, beat, and follow the config other nodes commit.
      const member = new FleetMember({
        store: this.store,
        storeUrl: this.fileConfig.store.url,
        changes: this.changes,
        adminUrl,
        logger: this.logger,
        telemetry: this.telemetry,
        poolNames: () => (this.snapshot ? this.snapshot.pools.keys() : []),
        telemetryLagMs: () => this.monitorLagMs ?? 0,
        isLeader: () => this.fleetMonitor?.isLeader ?? false,
      });
      member.registerMetrics(registry);
      await member.start();
      this.fleetMember = member;
      this.logger.info({ node: member.id, version: this.version }, `fleet: node ${member.id} registered in ${this.store.displayUrl}`);
      if (this.monitorLagMs !== undefined) {
        this.fleetMonitor = new FleetMonitor({
          store: this.store,
          storeUrl: this.fileConfig.store.url,
          nodeId: member.id,
          nodeLagMs: this.monitorLagMs,
          createMonitor: (telemetry, lagMs) => this.createNodeMonitor(telemetry, lagMs),
          onMonitor: (monitor) => {
            this.nodeMonitor = monitor;
          },
          logger: this.logger,
        });
        await this.fleetMonitor.start();
      }
    }
    const isLeader = () => this.nodeMonitor !== undefined;
    new Gauge({
      name: 'evenkeel_monitor_leader',
      help: '1 when this node runs the monitor: always on a SQLite store; in a fleet, on the one node holding the monitor lock.',
      registers: [registry],
      collect() {
        this.set(isLeader() ? 1 : 0);
      },
    });
    return adminUrl;
  }

  /**
   * Installs the data plane's swap (called by applyConfig from now on) and the reload triggers: SIGHUP
   * and, with `watch`, every change of the file turn the file into a change request (source `file`).
   */
  enableReload(watch: boolean, swap: (config: Config) => void): void {
    this.reloadHandler = swap;
    process.on('SIGHUP', this.onSighup);
    if (watch) this.watcher = watchConfigFile(this.configPath, () => void this.requestReload('file change'));
  }

  /**
   * Reads the file again and proposes it as a change from source `file`, applied at once when policy
   * allows. An invalid or refused file is logged and recorded (`config.reload_rejected`) and the
   * running config stays live. Resolves to true when the file's config went live.
   */
  requestReload(trigger: string): Promise<boolean> {
    const run = this.reloadQueue.then(() => this.reloadFile(trigger));
    this.reloadQueue = run.catch(() => undefined);
    return run;
  }

  private async reloadFile(trigger: string): Promise<boolean> {
    let text: string;
    let next: Config;
    try {
      text = readFileSync(this.configPath, 'utf8');
      next = parseConfigText(text, this.configPath);
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : `cannot read ${this.configPath}: ${(error as Error).message}`;
      const code = error instanceof ConfigError ? error.code : 'EK_CONFIG_UNREADABLE';
      this.logger.error({ code, trigger, issues: error instanceof ConfigError ? error.issues : undefined }, `config reload rejected, the running config stays live:\n${message}`);
      await this.recordReloadRejected(trigger, code, message);
      return false;
    }
    const isFleet = this.store.dialect === 'postgres';
    // In a fleet a node's file that nobody edited must not undo the changes made since it was
    // recorded (a `systemctl reload` on one node would otherwise roll the whole fleet back).
    if (isFleet && (await isFileRecordedInFleet(this.store, next))) {
      this.logger.info({ trigger, version: this.version }, `config file unchanged since it was recorded: the fleet's version ${this.version} stays live`);
      return false;
    }
    const outcome = await proposeFileChange(this.changes, next, text, `config file reloaded (${trigger})`, isFleet);
    switch (outcome.kind) {
      case 'applied':
        this.logger.info({ trigger, pools: Object.keys(next.pools).length, change: outcome.change.id, version: this.version }, 'config reloaded');
        return true;
      case 'unchanged':
        this.logger.info({ trigger, version: this.version }, 'config file unchanged: it is the live config already');
        return false;
      case 'waiting':
        this.logger.warn(
          { trigger, change: outcome.change.id, flags: outcome.change.simulation?.flags, findings: outcome.change.findings },
          `config file recorded as change ${outcome.change.id}, which waits for an approver (evenkeel change approve ${outcome.change.id}); the running config stays live`,
        );
        return false;
      case 'refused':
        this.logger.error({ trigger, code: outcome.code, change: outcome.changeId }, `config reload rejected, the running config stays live:\n${outcome.message}`);
        await this.recordReloadRejected(trigger, outcome.code, outcome.message, outcome.changeId);
        return false;
    }
  }

  private async recordReloadRejected(trigger: string, code: string, message: string, changeId?: number): Promise<void> {
    try {
      await appendEvent(this.store, { kind: EVENT_KINDS.reloadRejected, actor: 'file', subject: `file:${this.configPath}`, data: { trigger, code, message, changeId: changeId ?? null } });
    } catch (error) {
      this.logger.error({ err: error }, 'could not record the rejected reload in the audit log');
    }
  }

  /** The live backends of every pool, for the impact simulation. */
  private liveBackends() {
    return this.snapshot ? [...this.snapshot.pools.values()].flatMap((pool) => pool.members.backends) : [];
  }

  async close(): Promise<void> {
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
    // Hand the monitor over first: its tick finishes and the lock goes, so another node leads within a second.
    await this.fleetMonitor?.close();
    // Leave the fleet next: no config swaps during the shutdown, and the row goes before the store closes.
    await this.fleetMember?.close();
    this.health.stop();
    // A tick in progress (store writes, an automatic rollback) finishes; queued notifications are flushed.
    await this.nodeMonitor?.close();
    await this.admin?.close();
    // A running drill is aborted (its own node and backends stopped) before the store closes; it is not stored.
    await this.drills?.close();
    // A reload in progress finishes its store writes before the store closes.
    await this.reloadQueue;
    await this.healthEvents;
    await this.storeNow?.close();
  }

  private logHealth(event: HealthEvent): void {
    this.logger.info({ pool: event.pool, backend: event.backend, kind: event.kind, reason: event.reason }, `health: ${event.pool}/${event.backend} ${event.kind}`);
    this.recordHealth(event);
  }

  /** Health transitions go to the audit log too: the monitor's diagnosis reads them as causes. */
  private recordHealth(event: HealthEvent): void {
    const store = this.storeNow;
    if (store === undefined) return;
    const data = { pool: event.pool, backend: event.backend, kind: event.kind, reason: event.reason, at: event.at };
    this.healthEvents = this.healthEvents.then(() =>
      appendEvent(store, { kind: EVENT_KINDS.healthTransition, actor: 'health', subject: `pool:${event.pool}/${event.backend}`, data }).then(
        () => undefined,
        (error: unknown) => this.logger.error({ err: error, pool: event.pool, backend: event.backend }, 'could not record the health transition in the audit log'),
      ),
    );
  }
}

/** Settings a running node cannot change in place (listeners, worker count, store). */
function describeRestartOnlyChanges(current: Config, next: Config): string[] {
  const changed: string[] = [];
  if (JSON.stringify(current.listen) !== JSON.stringify(next.listen)) changed.push('listen');
  if (current.admin.listen !== next.admin.listen) changed.push('admin.listen');
  if (current.workers !== next.workers) changed.push('workers');
  if (current.store.url !== next.store.url) changed.push('store.url');
  if (JSON.stringify(current.demo) !== JSON.stringify(next.demo)) changed.push('demo');
  return changed;
}
