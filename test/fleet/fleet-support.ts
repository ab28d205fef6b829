import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_ADMIN_TOKEN } from '../integration/support/admin-client.js';
import { freePort, startEvenkeel, sumMetric, type EvenkeelProcess, type StartOptions, type TestUpstream } from '../integration/support/evenkeel-process.js';

/** The development PostgreSQL (trust auth); each fleet test gets its own schema in it, dropped afterwards. */
export const POSTGRES_URL = process.env.EVENKEEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema of its own for one test file's fleet: the nodes share it, other test runs never see it. */
export function freshFleetSchema(): { schema: string; drop(): Promise<void> } {
  const schema = `ek_fleet_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface FleetNodeProcess {
  evenkeel: EvenkeelProcess;
  proxyUrl: string;
  adminUrl: string;
  /** Starts the same node again (same dir, same config file) after stop(). */
  restart(): Promise<FleetNodeProcess>;
}

/**
 * Starts one node of a fleet: its own proxy and admin ports, the shared `storeUrl`, and one pool
 * `web` of `upstreams` (weight 100 each) with cookie persistence. The nodes' config files differ only
 * in their node-local settings (listen, admin), as on a real fleet. `extraYaml` is appended (top-level
 * sections such as `monitor:`).
 */
export async function startFleetNode(storeUrl: string, upstreams: readonly TestUpstream[], env: NodeJS.ProcessEnv = {}, extraYaml = ''): Promise<FleetNodeProcess> {
  const proxyPort = await freePort();
  const adminPort = await freePort();
  const backends = upstreams.map((upstream) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: 100 }`).join('\n');
  const config = `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
store: { url: "${storeUrl}" }
pools:
  web:
    algorithm: round-robin
    slow_start: 0s
    persistence: { by: cookie, name: ek_session, bound: 1.25, ttl: 30m }
    backends:
${backends}
${extraYaml}`;
  const allEnv = { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN, ...env };
  const start = async (options: StartOptions): Promise<FleetNodeProcess> => {
    const evenkeel = await startEvenkeel(config, [], allEnv, options);
    const node: FleetNodeProcess = {
      evenkeel,
      proxyUrl: `http://127.0.0.1:${proxyPort}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      restart: () => start({ dir: evenkeel.dir, keepConfig: true }),
    };
    return node;
  };
  return start({});
}

/** The value of one metric of a node's /metrics (summed over the labels given). */
export async function readMetric(adminUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const response = await fetch(`${adminUrl}/metrics`);
  return sumMetric(await response.text(), name, labels);
}

/**
 * Polls `probe` every `everyMs` until it returns true; resolves to the milliseconds it took from
 * `sinceMs` (performance.now()). Bounded by `timeoutMs`.
 */
export async function msUntil(probe: () => Promise<boolean>, sinceMs: number, timeoutMs = 5000, everyMs = 10): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await probe()) return performance.now() - sinceMs;
    if (performance.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
