import { configSchema, type Config, type ConfigInput } from '../../../src/config/index.js';
import {
  createChangeService,
  type ChangeError,
  simulateImpact,
  type Actor,
  type ChangeService,
  type ChangeServiceOptions,
  type Store,
} from '../../../src/control/index.js';
import { createStoreFixture, type DialectName, type StoreFixture } from '../store-fixture.js';

/** The postmortem's pool: five servers web-1..web-5 at weight 100, sticky by cookie with a bound. */
export function portal(weights: number[] = [100, 100, 100, 100, 100], options: { drain?: boolean[]; extra?: Partial<ConfigInput> } = {}): Config {
  return configSchema.parse({
    pools: {
      portal: {
        persistence: { by: 'cookie', bound: 1.25 },
        backends: weights.map((weight, i) => ({ id: `web-${i + 1}`, url: `http://10.0.0.${11 + i}:8000`, weight, drain: options.drain?.[i] ?? false })),
      },
    },
    proxy: { cookie_secret: 'change-service-test-secret' },
    ...options.extra,
  } as ConfigInput);
}

export const actors = {
  script: { name: 'weights.sh', role: 'automation', tokenId: 'tok-script' },
  otherScript: { name: 'rebalancer', role: 'automation', tokenId: 'tok-rebalancer' },
  ana: { name: 'ana', role: 'operator', tokenId: 'tok-ana' },
  bo: { name: 'bo', role: 'approver', tokenId: 'tok-bo' },
  cy: { name: 'cy', role: 'approver', tokenId: 'tok-cy' },
  viewer: { name: 'vi', role: 'viewer', tokenId: 'tok-vi' },
  file: { name: 'file', role: 'admin', tokenId: 'file' },
} satisfies Record<string, Actor>;

export interface ChangeHarness {
  fixture: StoreFixture;
  store: Store;
  service: ChangeService;
  /** Every applyLive call, in order. */
  applied: Array<{ config: Config; version: number }>;
  /** Opens a second service on the same database, as a restarted node would. */
  reopen(overrides?: Partial<ChangeServiceOptions>): Promise<ChangeService>;
  dispose(): Promise<void>;
}

/** A store of the given dialect whose version 1 is `initial`, and a change service on it. */
export async function openChangeHarness(dialect: DialectName, initial: Config = portal(), overrides: Partial<ChangeServiceOptions> = {}): Promise<ChangeHarness> {
  const fixture = createStoreFixture(dialect);
  const store = await fixture.open();
  const applied: Array<{ config: Config; version: number }> = [];
  const options = (target: Store, more: Partial<ChangeServiceOptions>): ChangeServiceOptions => ({
    store: target,
    applyLive: (config, version) => {
      applied.push({ config, version });
    },
    // The real simulation, on its synthetic sample (no traffic recorded in these tests).
    simulate: (live, proposed, { maxShareRatio }) => simulateImpact(live, proposed, [], { maxShareRatio }),
    initialConfig: { config: initial, configYaml: '# initial\n' },
    ...more,
  });
  const service = await createChangeService(options(store, overrides));
  return {
    fixture,
    store,
    service,
    applied,
    reopen: async (more = {}) => createChangeService(options(await fixture.open(), { ...overrides, ...more })),
    dispose: () => fixture.dispose(),
  };
}

/** Runs `fn` and returns what it threw (failing the test when it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<ChangeError> {
  try {
    await fn();
  } catch (error) {
    return error as ChangeError;
  }
  throw new Error('expected the call to throw, but it resolved');
}
