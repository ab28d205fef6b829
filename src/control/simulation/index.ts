// Impact simulation: replays the data plane's request sample through a proposed config's balancer.
export {
  DEFAULT_MAX_SHARE_RATIO,
  DEFAULT_SIMULATION_CONCURRENCY,
  MAX_SAMPLE_AGE_MS,
  SIMULATION_SEED,
  measuredConcurrency,
  simulateImpact,
  type SimulateImpactOptions,
} from './simulate-impact.js';
export { buildMembers, replayPool, type LiveBackendView, type PoolReplay, type ReplayInput } from './replay.js';
export { SYNTHETIC_REQUESTS, SYNTHETIC_SESSIONS, SYNTHETIC_ZIPF_EXPONENT, seededRandom, synthesizeRequests } from './synthetic-sample.js';
export { SimulationError, type SimulationErrorCode } from './errors.js';
