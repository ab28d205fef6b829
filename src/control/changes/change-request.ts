import type { Config } from '../../config/index.js';
import type { ChangeSource, ChangeStatus } from '../store/index.js';
import type { TokenRole } from '../tokens/index.js';

// The shapes a change request has everywhere it is shown: the admin API returns these as JSON,
// the CLI prints them, the dashboard draws them. The service that produces them is change-service.ts.

/** Who acts: the identity behind a verified token (or the node itself for file reloads). */
export interface Actor {
  /** Token name, shown as the author/approver ("weights.sh", "alice"). */
  name: string;
  role: TokenRole;
  /** Token id; "file" or "node" for changes the node makes itself. */
  tokenId: string;
}

/** One backend's shares in an impact simulation; shares are 0..1 of the pool's requests. */
export interface SimulatedBackendShare {
  backend: string;
  /** Effective weight over the pool's healthy effective weight, under the proposed config. */
  weightShare: number;
  /** Share the recent sample got under the live config (replayed, or observed when no sample). */
  currentShare: number;
  /** Share the same sample gets through the proposed balancer. */
  predictedShare: number;
  /** predictedShare / weightShare (Infinity when weightShare is 0 and predictedShare > 0). */
  ratio: number;
  /** Effective weight over the pool's healthy effective weight under the LIVE config; null for a backend the change adds. */
  liveWeightShare?: number | null;
  /** Share right after applying: clients the live balancer had pinned keep their backend while the proposed balancer honours the pin. */
  immediateShare?: number;
  /** Share the live balancer actually gave the sampled requests (0 for a synthetic sample). */
  observedShare?: number;
}

export interface SimulatedPool {
  pool: string;
  /** Requests of the sample that this pool served. */
  sampledRequests: number;
  backends: SimulatedBackendShare[];
  /** True when the pool had no sampled requests and a synthetic sample was replayed instead (docs/changes.md). */
  isSynthetic?: boolean;
  /** Requests held in flight at once during the replay (the K of docs/changes.md). */
  concurrency?: number;
}

/** What replaying recent requests through the proposed balancer predicts. */
export interface ImpactSimulation {
  /** Recorded requests replayed in all; 0 means there was no traffic to replay (shares then come from a synthetic sample, see docs/changes.md). */
  sampleSize: number;
  pools: SimulatedPool[];
  /** policy.simulation.max_share_ratio that was applied. */
  maxShareRatio: number;
  /** One sentence per backend over the ratio: "web-1 predicted 41% of portal, weight share 20% (2.05x > 1.5x)". */
  flags: string[];
}

/** A guardrail that refused the change outright, or an audit finding. */
export interface ChangeFinding {
  /** Stable id: "guardrail.max_weight_factor", "guardrail.max_drain_share", "guardrail.min_healthy_capacity", "guardrail.persistence_bound_removed", or an audit rule id "EK101". */
  rule: string;
  severity: 'error' | 'warning' | 'note';
  message: string;
}

export interface ChangeApproval {
  approver: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  at: number;
}

export interface ChangeRequest {
  id: number;
  status: ChangeStatus;
  author: string;
  authorRole: TokenRole | 'file' | 'node';
  source: ChangeSource;
  reason: string;
  /** The live version the proposal was made against. */
  baseVersion: number | null;
  proposedConfig: Config;
  /** The diff against the base version in words: "pools.portal: web-1 weight 100 -> 400". */
  diff: string[];
  simulation: ImpactSimulation | null;
  /** True when the simulation flagged a backend or a finding asks for a human look. */
  isFlagged: boolean;
  findings: ChangeFinding[];
  /** True when policy requires a human approver before apply. */
  needsApproval: boolean;
  approvals: ChangeApproval[];
  createdAt: number;
  updatedAt: number;
  /** Config version created by applying it (or by the rollback it stands for). */
  appliedVersion: number | null;
  /** For a rollback change: the version it restores. */
  rollbackOf: number | null;
}

export interface ProposeChange {
  actor: Actor;
  source: ChangeSource;
  reason: string;
  config: Config;
  configYaml?: string;
  /** Defaults to the live version at the time of proposing. */
  baseVersion?: number;
}
