import type { Config } from '../../config/index.js';
import type { ChangeStatus, Store } from '../store/index.js';
import type { Actor, ChangeFinding, ChangeRequest, ImpactSimulation, ProposeChange } from './change-request.js';

// The contract between the control plane and its callers (admin API, CLI through the API, file
// reloads, later the monitor's auto-rollback and the fleet). Implemented by createChangeService.

export interface ChangeServiceOptions {
  store: Store;
  /** Swaps the live config atomically in this node (data plane, health, telemetry). Synchronous. */
  applyLive: (config: Config, version: number) => void;
  /**
   * Replays recent requests through the live and the proposed balancer (control/simulation). The
   * third argument (added with the service) carries the live policy's simulation.max_share_ratio:
   * pass it on to simulateImpact so the policy's ratio is the one applied.
   */
  simulate: (live: Config, proposed: Config, options: { maxShareRatio: number }) => ImpactSimulation;
  /** Audit rules (issue 5) plug in here; error-level findings refuse the change. `live` lets the hook report only what the change introduces. */
  audit?: (proposed: Config, live: Config) => ChangeFinding[];
  now?: () => number;
  /**
   * Whether a backend is healthy now, for the min_healthy_capacity guardrail (undefined: unknown,
   * counted as healthy). Without it every backend counts as healthy. (Added with the service.)
   */
  backendHealth?: (pool: string, backend: string) => boolean | undefined;
  /**
   * When the store has no config version yet, this config becomes version 1 (source 'file', author
   * 'file'). Without it an empty store is an error (EK_CHANGE_NO_LIVE_CONFIG). (Added with the service.)
   */
  initialConfig?: { config: Config; configYaml?: string | null; reason?: string };
}

export interface ChangeListFilter {
  status?: ChangeStatus;
  limit?: number;
}

export interface RollbackOptions {
  /** The version to restore; defaults to the one before the live version. */
  toVersion?: number;
  reason: string;
  source: ProposeChange['source'];
}

export interface ChangeService {
  /** The version the node is serving. */
  liveVersion(): number;
  liveConfig(): Config;
  /** Records, validates, simulates and checks policy; guardrails refuse outright (ChangeRefusedError). */
  propose(input: ProposeChange): Promise<ChangeRequest>;
  list(filter?: ChangeListFilter): Promise<ChangeRequest[]>;
  get(id: number): Promise<ChangeRequest>;
  approve(id: number, actor: Actor, comment?: string): Promise<ChangeRequest>;
  reject(id: number, actor: Actor, comment?: string): Promise<ChangeRequest>;
  /** Commits the new version, then swaps the live config; refuses a stale base version. */
  apply(id: number, actor: Actor): Promise<ChangeRequest>;
  /** A rollback is itself a change (proposed and, when policy allows, applied at once). */
  rollback(actor: Actor, options: RollbackOptions): Promise<ChangeRequest>;
  /**
   * Swaps to a version another node of the fleet committed, through the same applyLive as a local
   * apply; false (and nothing happens) when it is not newer than the live version. Throws what
   * applyLive throws, leaving the live version as it was. (Added with fleet mode, issue 8.)
   */
  adoptCommittedVersion(version: number, config: Config): boolean;
}
