// The shapes the dashboard reads from the admin API (docs/admin-api.md; the server's own types are
// in src/admin/stats-view.ts, src/control/changes/change-request.ts and src/monitor/alert.ts).

export type Role = 'viewer' | 'operator' | 'approver' | 'automation' | 'admin';

export interface WhoAmI {
  name: string;
  role: Role;
  tokenId: string;
  can: { propose: boolean; approve: boolean; apply: boolean; manageTokens: boolean };
}

export interface BackendStats {
  backend: string;
  effectiveWeight: number;
  expectedShare: number;
  observedShare: number;
  requests: number;
  rps: number;
  inflight: number;
  p95Ms: number;
  pinned: number;
  pinnedShare: number;
  spilled: number;
  health: 'healthy' | 'unhealthy' | 'draining';
}

export interface Alert {
  fingerprint: string;
  rule: string;
  severity: string;
  pool?: string;
  backend?: string;
  state: 'pending' | 'firing' | 'resolved';
  startedAt: number;
  firingAt?: number;
  resolvedAt?: number;
  summary: string;
  backends: string[];
  causes: { kind: string; summary?: string; changeId?: number }[];
  actions: { kind: string; summary: string; changeId?: number; rollbackChangeId?: number }[];
}

export interface LiveStats {
  at: number;
  windowSeconds: number;
  traffic: { rps: number; baselineRps: number | null };
  alerts: Alert[];
  pools: { pool: string; backends: BackendStats[] }[];
}

export interface SimulatedBackendShare {
  backend: string;
  weightShare: number;
  currentShare: number;
  predictedShare: number;
  ratio: number;
}

export interface ImpactSimulation {
  sampleSize: number;
  pools: { pool: string; sampledRequests: number; backends: SimulatedBackendShare[]; isSynthetic?: boolean }[];
  maxShareRatio: number;
  flags: string[];
}

export type ChangeStatus = 'proposed' | 'approved' | 'rejected' | 'applied' | 'rolled_back' | 'failed';

export interface ChangeRequest {
  id: number;
  status: ChangeStatus;
  author: string;
  authorRole: string;
  source: string;
  reason: string;
  baseVersion: number | null;
  diff: string[];
  simulation: ImpactSimulation | null;
  isFlagged: boolean;
  findings: { rule: string; severity: 'error' | 'warning' | 'note'; message: string }[];
  needsApproval: boolean;
  approvals: { approver: string; decision: 'approve' | 'reject'; comment: string | null; at: number }[];
  createdAt: number;
  updatedAt: number;
  appliedVersion: number | null;
  rollbackOf: number | null;
}

export interface AuditEvent {
  seq: number;
  at: number;
  kind: string;
  actor: string;
  subject: string;
  data: unknown;
}
