import { TEST_ADMIN_TOKEN } from './admin-client.js';
import { freePort, startEvenkeel, startUpstream, type EvenkeelProcess, type TestUpstream } from './evenkeel-process.js';

export interface PoolNode {
  upstreams: TestUpstream[];
  evenkeel: EvenkeelProcess;
  proxyUrl: string;
  adminUrl: string;
}

/**
 * Starts one test upstream per name and a node serving them as the backends (weight 100 each) of its
 * only pool, with the test admin token bootstrapped. `poolSettings` are the pool's keys other than
 * `backends`, one YAML line each ("algorithm: round-robin").
 */
export async function startPoolNode(names: readonly string[], pool: string, poolSettings: readonly string[] = []): Promise<PoolNode> {
  const upstreams = await Promise.all(names.map((name) => startUpstream(name)));
  const proxyPort = await freePort();
  const adminPort = await freePort();
  const backends = upstreams.map((upstream) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: 100 }`).join('\n');
  const settings = poolSettings.map((line) => `    ${line}\n`).join('');
  const evenkeel = await startEvenkeel(
    `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
pools:
  ${pool}:
${settings}    backends:
${backends}
`,
    [],
    { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN },
  );
  return { upstreams, evenkeel, proxyUrl: `http://127.0.0.1:${proxyPort}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}
