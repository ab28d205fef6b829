// The runtime view of one backend, shared by the picker, the health checker, the proxy and telemetry.
// One BackendState lives for as long as its (pool, id) stays in the config: a reload updates it in
// place, so in-flight counts, health and slow start carry over a weight change.

let nextSerial = 0;

export class BackendState {
  /** Unique for the life of the process; telemetry uses it as an array index. */
  readonly serial: number;
  readonly poolName: string;
  readonly id: string;
  /** Position in the pool's `backends` array; rewritten when the pool changes. */
  index = 0;
  url: string;
  /** Configured weight. */
  weight: number;
  /**
   * The weight the picker uses: configured × slow-start ramp × health (0 when unhealthy, ejected or
   * draining). Written by health/, read by balance/ and exported as evenkeel_backend_effective_weight.
   */
  effectiveWeight: number;
  /** Combined verdict of active checks and passive outlier detection. */
  isHealthy = true;
  /**
   * Times the backend fell: active checks declared it down, or an outlier ejection began while they
   * still passed (a crash that trips both counts once). Written by health/; the monitor's flapping
   * rule counts them over a window.
   */
  healthDowns = 0;
  isDraining = false;
  /** Requests in flight to this backend from this process. */
  inflight = 0;
  /** 0 means no limit. */
  maxInflight = 0;

  constructor(poolName: string, id: string, url: string, weight: number) {
    this.serial = nextSerial++;
    this.poolName = poolName;
    this.id = id;
    this.url = url;
    this.weight = weight;
    this.effectiveWeight = weight;
  }
}

/**
 * The members of one pool plus what pickers need to know about them as a whole. `version` changes
 * whenever a weight or an eligibility changes, so pickers can rebuild tables (Maglev, ring) lazily.
 */
export class PoolMembers {
  readonly name: string;
  backends: BackendState[];
  /** True when too few backends are healthy: the picker then uses every non-draining backend. */
  isPanicking = false;
  /** Sum of `inflight` over `backends`; kept by acquire() and release(). */
  totalInflight = 0;
  version = 0;

  constructor(name: string, backends: BackendState[]) {
    this.name = name;
    this.backends = backends;
    for (let i = 0; i < backends.length; i++) backends[i].index = i;
  }

  /** Call after changing weights, health or the member list. */
  touch(): void {
    this.version++;
  }
}

/** The weight a picker should use for this backend right now (panic mode ignores health). */
export function selectableWeight(members: PoolMembers, backend: BackendState): number {
  if (backend.isDraining) return 0;
  if (members.isPanicking) return backend.weight;
  // health/ already folds health into effectiveWeight; checking the flag too means a verdict that
  // lands before the weight update can never send a request to an unhealthy backend.
  if (!backend.isHealthy) return 0;
  return backend.effectiveWeight;
}

/**
 * True when a picker may choose this backend for this request: selectable, below max_inflight and
 * not the backend a retry is moving away from.
 */
export function isPickable(members: PoolMembers, backend: BackendState, exclude: BackendState | undefined): boolean {
  return backend !== exclude && selectableWeight(members, backend) > 0 && hasCapacity(backend);
}

/** True when the backend may take one more request without passing its max_inflight. */
export function hasCapacity(backend: BackendState): boolean {
  return backend.maxInflight === 0 || backend.inflight < backend.maxInflight;
}

/** Counts a request as in flight on the backend; pair with release(). */
export function acquire(members: PoolMembers, backend: BackendState): void {
  backend.inflight++;
  members.totalInflight++;
}

export function release(members: PoolMembers, backend: BackendState): void {
  backend.inflight--;
  members.totalInflight--;
}
