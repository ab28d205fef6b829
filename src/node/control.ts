import { ConfigError, loadConfigFile, splitListenAddress, type Config } from '../config/index.js';
import type { PoolMembers } from '../balance/index.js';
import { HealthCoordinator, type HealthEvent } from '../health/index.js';
import { Telemetry, createMetricsRegistry } from '../telemetry/index.js';
import { startAdminServer } from '../admin/index.js';
import type { ProxySnapshot } from '../proxy/index.js';
import { watchConfigFile } from './config-watch.js';
import type { Logger } from './logger.js';

/**
 * The parts of a node that exist once per node whatever the number of workers: the config file,
 * health checking, node-wide telemetry, the admin listener and reload triggers.
 */
export class Control {
  readonly configPath: string;
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly health: HealthCoordinator;
  config: Config;
  private snapshot: ProxySnapshot | undefined;
  private admin: { close(): Promise<void> } | undefined;
  private watcher: { close(): void } | undefined;
  private readonly onSighup = () => this.requestReload('SIGHUP');
  private reloadHandler: ((config: Config) => void) | undefined;

  constructor(configPath: string, config: Config, logger: Logger) {
    this.configPath = configPath;
    this.config = config;
    this.logger = logger;
    this.telemetry = new Telemetry();
    this.health = new HealthCoordinator({ onChange: (event) => this.logHealth(event) });
  }

  /** Points health checking and the admin API at a (new) snapshot's pools. */
  adopt(snapshot: ProxySnapshot): void {
    this.snapshot = snapshot;
    this.health.setPools([...snapshot.pools.values()].map((pool) => ({ members: pool.members, config: pool.config })));
  }

  pools(): PoolMembers[] {
    return this.snapshot ? [...this.snapshot.pools.values()].map((pool) => pool.members) : [];
  }

  /** Starts the admin listener; resolves to its URL. */
  async startAdmin(): Promise<string> {
    const { host, port } = splitListenAddress(this.config.admin.listen);
    const registry = createMetricsRegistry(this.telemetry, () => (this.snapshot ? this.snapshot.pools.values() : []));
    const admin = await startAdminServer({
      host,
      port,
      registry,
      telemetry: this.telemetry,
      pools: () => (this.snapshot ? this.snapshot.pools.values() : []),
      onError: (error) => this.logger.error({ err: error }, 'admin API route failed'),
    });
    this.admin = admin;
    const shownHost = admin.address.family === 'IPv6' ? `[${admin.address.address}]` : admin.address.address;
    return `http://${shownHost}:${admin.address.port}`;
  }

  /**
   * Re-reads the config file on SIGHUP and, with `watch`, whenever it changes. An invalid file is
   * rejected with the loader's file:line:column message and the running config stays live.
   */
  enableReload(watch: boolean, onValidConfig: (config: Config) => void): void {
    this.reloadHandler = onValidConfig;
    process.on('SIGHUP', this.onSighup);
    if (watch) this.watcher = watchConfigFile(this.configPath, () => this.requestReload('file change'));
  }

  /** Loads the file again; returns true when the new config went live. */
  requestReload(trigger: string): boolean {
    let next: Config;
    try {
      next = loadConfigFile(this.configPath);
    } catch (error) {
      if (error instanceof ConfigError) {
        this.logger.error({ code: error.code, trigger, issues: error.issues }, `config reload rejected, the running config stays live:\n${error.message}`);
        return false;
      }
      this.logger.error({ err: error, trigger }, 'config reload failed, the running config stays live');
      return false;
    }
    const restartOnly = describeRestartOnlyChanges(this.config, next);
    if (restartOnly.length > 0) this.logger.warn({ fields: restartOnly }, `these settings change only on restart: ${restartOnly.join(', ')}`);
    this.config = next;
    this.reloadHandler?.(next);
    this.logger.info({ trigger, pools: Object.keys(next.pools).length }, 'config reloaded');
    return true;
  }

  async close(): Promise<void> {
    process.off('SIGHUP', this.onSighup);
    this.watcher?.close();
    this.health.stop();
    await this.admin?.close();
  }

  private logHealth(event: HealthEvent): void {
    this.logger.info({ pool: event.pool, backend: event.backend, kind: event.kind, reason: event.reason }, `health: ${event.pool}/${event.backend} ${event.kind}`);
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
