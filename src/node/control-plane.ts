import type { Config } from '../config/index.js';
import {
  ChangeError,
  ChangeRefusedError,
  createChangeService,
  ensureBootstrapAdmin,
  getConfigVersion,
  latestConfigVersion,
  openStore,
  simulateImpact,
  BOOTSTRAP_TOKEN_ENV,
  type LiveBackendView,
  type Store,
} from '../control/index.js';
import type { Actor, ChangeRequest } from '../control/index.js';
import type { ChangeService } from '../control/index.js';
import type { SampledPool } from '../telemetry/index.js';
import { createChangeAudit } from './change-audit.js';
import { crashBeforeCommit, crashPointFromEnv } from './crash-point.js';
import type { Logger } from './logger.js';
import { isSameSharedConfig, withNodeLocalSettingsOf } from './fleet/node-local-settings.js';

// How a node starts its control plane and which config it starts with (docs/running.md, "The store"):
//   1. open the store named by the FILE's store.url (migrations run in openStore);
//   2. make sure an admin token exists (printed once when created, or taken from EVENKEEL_BOOTSTRAP_TOKEN);
//   3. pick the start-up config:
//      - an empty store: the file becomes version 1 (source file) and is served;
//      - the file's text equals the YAML of the newest version recorded FROM THE FILE: the store's latest
//        version is served (so a change made through the API, or a rollback, survives a restart);
//      - otherwise the file was edited while the node was down: it is proposed as a change from source
//        `file` and applied when policy lets it (guardrails, flags); if it is refused or waits for an
//        approver, the store's latest version is served and the log says why.
//   In a fleet (a PostgreSQL store, docs/fleet.md) the files of the nodes differ in their node-local
//   settings (listen, admin, workers, store, demo): "unchanged" then means the same shared settings as
//   the newest version recorded from any node's file, and a proposed file keeps the live version's
//   node-local settings, so that one node's ports never become another's.
//   This all happens before the data plane is built, so restart-only settings of the file (listen,
//   workers, ...) take effect when the file's change applies.

/** The node itself acting for its config file (file reloads, start-up). */
export const FILE_ACTOR: Actor = { name: 'file', role: 'admin', tokenId: 'file' };

export interface BootstrapNotice {
  readonly name: string;
  readonly token: string;
  readonly isFromEnvironment: boolean;
}

export interface ControlPlaneOptions {
  fileConfig: Config;
  fileText: string;
  configPath: string;
  logger: Logger;
  applyLive: (config: Config, version: number) => void;
  simulateWith: () => { sample: readonly SampledPool[]; liveBackends: Iterable<LiveBackendView> };
  backendHealth: (pool: string, backend: string) => boolean | undefined;
}

export interface OpenedControlPlane {
  store: Store;
  changes: ChangeService;
  bootstrap: BootstrapNotice | undefined;
}

export async function openControlPlane(options: ControlPlaneOptions): Promise<OpenedControlPlane> {
  const { fileConfig, fileText, logger } = options;
  const opened = await openStore(fileConfig.store.url);
  const store = crashPointFromEnv() === 'before-commit' ? crashBeforeCommit(opened) : opened;
  try {
    const created = await ensureBootstrapAdmin(store);
    const bootstrap = created.created ? { name: created.name, token: created.token, isFromEnvironment: created.isFromEnvironment } : undefined;
    const latest = await latestConfigVersion(store);
    const isFleet = store.dialect === 'postgres';
    const changes = await createChangeService({
      store,
      applyLive: options.applyLive,
      simulate: (live, proposed, { maxShareRatio }) => {
        const { sample, liveBackends } = options.simulateWith();
        return simulateImpact(live, proposed, sample, { liveBackends, maxShareRatio });
      },
      backendHealth: options.backendHealth,
      audit: createChangeAudit({ configPath: options.configPath }),
      initialConfig: { config: fileConfig, configYaml: fileText, reason: `first start: ${options.configPath} becomes version 1` },
    });
    if (latest === undefined) {
      logger.info({ store: store.displayUrl, version: changes.liveVersion() }, `store ${store.displayUrl} was empty: the config file is version ${changes.liveVersion()}`);
    } else if (isFleet ? await isFileRecordedInFleet(store, fileConfig) : await isFileRecorded(store, fileText)) {
      logger.info({ store: store.displayUrl, version: changes.liveVersion() }, `serving version ${changes.liveVersion()} from the store ${store.displayUrl} (the config file is unchanged since it was recorded)`);
    } else {
      const outcome = await proposeFileChange(changes, fileConfig, fileText, `${options.configPath} edited while the node was stopped`, isFleet);
      if (outcome.kind === 'applied') {
        logger.info({ change: outcome.change.id, version: changes.liveVersion() }, `the edited config file is version ${changes.liveVersion()} (change ${outcome.change.id})`);
      } else if (outcome.kind === 'unchanged') {
        logger.info({ version: changes.liveVersion() }, `serving version ${changes.liveVersion()}: the edited config file says the same`);
      } else if (outcome.kind === 'waiting') {
        logger.warn({ change: outcome.change.id }, `the edited config file is change ${outcome.change.id}, which waits for an approver; serving version ${changes.liveVersion()} from the store until then`);
      } else {
        logger.error({ code: outcome.code, change: outcome.changeId }, `the edited config file was refused; serving version ${changes.liveVersion()} from the store:\n${outcome.message}`);
      }
    }
    return { store, changes, bootstrap };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

/** True when `fileText` is the YAML of the newest version recorded from the config file. */
async function isFileRecorded(store: Store, fileText: string): Promise<boolean> {
  const row = await store.db.selectFrom('config_versions').select('config_yaml').where('source', '=', 'file').orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row !== undefined && row.config_yaml === fileText;
}

/** In a fleet: true when `fileConfig` has the shared settings of the newest version recorded from a node's file. */
export async function isFileRecordedInFleet(store: Store, fileConfig: Config): Promise<boolean> {
  const row = await store.db.selectFrom('config_versions').select('version').where('source', '=', 'file').orderBy('version', 'desc').limit(1).executeTakeFirst();
  const recorded = row === undefined ? undefined : await getConfigVersion(store, row.version);
  return recorded !== undefined && isSameSharedConfig(fileConfig, recorded.config as Config);
}

export type FileChangeOutcome =
  | { kind: 'applied'; change: ChangeRequest }
  | { kind: 'waiting'; change: ChangeRequest }
  | { kind: 'unchanged' }
  | { kind: 'refused'; code: string; message: string; changeId: number | undefined };

/**
 * Proposes the config file as a change from source `file` and applies it when it needs no approver.
 * In a fleet the proposal keeps the live version's node-local settings (see above).
 */
export async function proposeFileChange(changes: ChangeService, config: Config, configYaml: string, reason: string, isFleet = false): Promise<FileChangeOutcome> {
  try {
    const proposedConfig = isFleet ? withNodeLocalSettingsOf(config, changes.liveConfig()) : config;
    const proposed = await changes.propose({ actor: FILE_ACTOR, source: 'file', reason, config: proposedConfig, configYaml });
    if (proposed.needsApproval && proposed.status !== 'approved') return { kind: 'waiting', change: proposed };
    const applied = await changes.apply(proposed.id, FILE_ACTOR);
    return { kind: 'applied', change: applied };
  } catch (error) {
    if (error instanceof ChangeError && error.code === 'EK_CHANGE_EMPTY') return { kind: 'unchanged' };
    if (error instanceof ChangeRefusedError || error instanceof ChangeError) return { kind: 'refused', code: error.code, message: error.message, changeId: error.changeId };
    throw error;
  }
}

/** The banner lines that show a just-created bootstrap admin token, once. */
export function describeBootstrap(notice: BootstrapNotice, adminUrl: string): string {
  if (notice.isFromEnvironment) {
    return `evenkeel: created admin token "${notice.name}" from ${BOOTSTRAP_TOKEN_ENV} (only its hash is stored)\n`;
  }
  return [
    '',
    `evenkeel: first start: created the admin token "${notice.name}". It is shown ONCE and only its hash is stored:`,
    '',
    `    ${notice.token}`,
    '',
    '  Use it with the CLI and the admin API:',
    `    export EVENKEEL_TOKEN=${notice.token}`,
    `    curl -H "Authorization: Bearer $EVENKEEL_TOKEN" ${adminUrl}/api/v1/config`,
    '  Then create named tokens (evenkeel token create --name alice --role approver) and revoke this one.',
    `  To choose it yourself instead, start the first node with ${BOOTSTRAP_TOKEN_ENV} set.`,
    '',
  ].join('\n');
}
