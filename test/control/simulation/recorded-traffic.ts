// Traffic for simulation tests, recorded the way the data plane records it: real pickers from
// balance/, clients that keep the cookies they are given, a window of requests in flight, and each
// pick written to a RequestSample with the proxy's own SampleKey.
import { acquire, BackendState, createPicker, PoolMembers, release, resetOutcome, type PickOutcome } from '../../../src/balance/index.js';
import { configSchema, type Config, type ConfigInput } from '../../../src/config/index.js';
import { seededRandom } from '../../../src/control/simulation/index.js';
import { SampleKey } from '../../../src/proxy/sample-key.js';
import { RequestSample } from '../../../src/telemetry/index.js';

export interface TrafficOptions {
  requests: number;
  sessions: number;
  /** Client activity follows a Zipf law with this exponent. */
  zipfExponent: number;
  /** Requests in flight at once. */
  concurrency: number;
  seed: number;
  startMs?: number;
  gapMs?: number;
}

/** When recorded traffic starts unless told otherwise (the postmortem's morning). */
export const TRAFFIC_START_MS = Date.UTC(2024, 4, 1, 9);

export const TRAFFIC: TrafficOptions = { requests: 10_000, sessions: 2_000, zipfExponent: 1, concurrency: 16, seed: 7 };

/** A config with one pool `portal` of five backends web-1..web-5. */
export function portalConfig(pool: Record<string, unknown>, weights: number[] = [100, 100, 100, 100, 100], drain: boolean[] = [], policy: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    pools: {
      portal: {
        ...pool,
        backends: weights.map((weight, i) => ({ id: `web-${i + 1}`, url: `http://10.0.0.${11 + i}:8000`, weight, drain: drain[i] ?? false })),
      },
    },
    proxy: { cookie_secret: 'simulation-test-secret-0123' },
    policy,
  } as ConfigInput);
}

/** Sends `options.requests` requests from Zipf-distributed clients through the live pool, recording each pick. */
export function recordTraffic(config: Config, options: TrafficOptions = TRAFFIC, sample: RequestSample = new RequestSample()): RequestSample {
  for (const [name, pool] of Object.entries(config.pools)) {
    const members = new PoolMembers(name, pool.backends.map((b) => {
      const state = new BackendState(name, b.id, b.url, b.weight);
      state.isDraining = b.drain;
      return state;
    }));
    const clock = { nowMs: options.startMs ?? TRAFFIC_START_MS };
    const random = seededRandom(options.seed);
    const picker = createPicker(pool, members, { cookieSecret: config.proxy.cookie_secret as string, now: () => clock.nowMs, random });
    const sampleKey = new SampleKey(pool);
    const cookieName = pool.persistence.name ?? 'ek_session';
    const cumulative: number[] = [];
    let total = 0;
    for (let k = 1; k <= options.sessions; k++) cumulative.push((total += 1 / k ** options.zipfExponent));
    const jars = new Array<string | undefined>(options.sessions);
    const held: BackendState[] = [];
    const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };
    for (let i = 0; i < options.requests; i++) {
      clock.nowMs += options.gapMs ?? 20;
      const target = random() * total;
      let client = cumulative.findIndex((c) => c > target);
      if (client < 0) client = options.sessions - 1;
      const jar = jars[client];
      const request = {
        sourceIp: `10.1.${client >> 8}.${client & 255}`,
        path: `/page/${client % 7}`,
        headers: jar === undefined ? { 'x-session': `s${client}` } : { cookie: `theme=dark; ${cookieName}=${jar}`, 'x-session': `s${client}` },
      };
      if (held.length === options.concurrency) release(members, held.shift() as BackendState);
      resetOutcome(outcome);
      const backend = picker.pick(request, outcome, undefined);
      if (backend === undefined) continue;
      acquire(members, backend);
      held.push(backend);
      sample.record(name, clock.nowMs, sampleKey.hash(request), backend.id, members.totalInflight, outcome.isPinned, outcome.isSpilled);
      if (outcome.setCookie !== undefined) jars[client] = outcome.setCookie.slice(cookieName.length + 1, outcome.setCookie.indexOf(';'));
    }
  }
  return sample;
}
