import { writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEvenkeel, startUpstream, withTestStore, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

function configWith(proxyPort: number, adminPort: number, upstreams: TestUpstream[], weights: number[]): string {
  const backends = upstreams
    .map((upstream, i) => `      - { id: ${upstream.name}, url: "${upstream.url}", weight: ${weights[i]} }`)
    .join('\n');
  // Dropping backend c gives a and b half the traffic each where the live weights gave them a third:
  // the impact simulation would flag that and hold the file's change for an approver (docs/changes.md).
  // This test is about swapping under load, so it lets such changes through.
  return `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
policy: { simulation: { max_share_ratio: 4 } }
pools:
  web:
    algorithm: round-robin
    slow_start: 0s
    backends:
${backends}
`;
}

describe('reloading the config while serving', () => {
  let upstreams: TestUpstream[];
  let evenkeel: EvenkeelProcess;
  let proxyPort: number;
  let adminPort: number;

  beforeAll(async () => {
    upstreams = await Promise.all(['a', 'b', 'c'].map((name) => startUpstream(name)));
    proxyPort = await freePort();
    adminPort = await freePort();
    evenkeel = await startEvenkeel(configWith(proxyPort, adminPort, upstreams, [100, 100, 100]));
  });

  afterAll(async () => {
    await evenkeel?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  });

  it('reloads 100 times under load and fails zero requests', async () => {
    const agent = new Agent({ connections: 16 });
    let isLoading = true;
    let ok = 0;
    const failures: string[] = [];
    // Resolves once `ok` reaches a count, so each reload is followed by traffic on the new config.
    let okWaiter: { count: number; wake: () => void } | undefined;
    const okReached = (count: number) => new Promise<void>((wake) => (okWaiter = { count, wake }));
    const deadline = Date.now() + 60_000;
    const client = async () => {
      while (isLoading && Date.now() < deadline && ok < 1_000_000) {
        try {
          const response = await request(`http://127.0.0.1:${proxyPort}/`, { dispatcher: agent });
          await response.body.text();
          if (response.statusCode === 200) {
            ok++;
            if (okWaiter && ok >= okWaiter.count) okWaiter.wake();
          } else failures.push(`status ${response.statusCode} ${String(response.headers['x-evenkeel-error'])}`);
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const clients = Array.from({ length: 8 }, () => client());
    for (let i = 1; i <= 100; i++) {
      // Weights and the backend list both change: every third reload drops backend c.
      const weights = [100 + i, 100 + ((i * 7) % 50), 100];
      const active = i % 3 === 0 ? upstreams.slice(0, 2) : upstreams;
      writeFileSync(evenkeel.configPath, withTestStore(configWith(proxyPort, adminPort, active, weights), evenkeel.dir));
      evenkeel.child.kill('SIGHUP');
      await evenkeel.waitForLog('"msg":"config reloaded"', i, 10_000);
      if (failures.length > 0) break;
      await okReached(ok + 10);
    }
    isLoading = false;
    await Promise.all(clients);
    await agent.close();
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(1000);
  });

  it('rejects an invalid file with file:line:column and keeps serving the running config', async () => {
    writeFileSync(evenkeel.configPath, withTestStore(configWith(proxyPort, adminPort, upstreams, [100, -5, 100]), evenkeel.dir));
    evenkeel.child.kill('SIGHUP');
    await evenkeel.waitForLog('config reload rejected');
    expect(evenkeel.stderr()).toMatch(/evenkeel\.yaml:\d+:\d+ pools\.web\.backends\[1\]\.weight: expected a whole number from 0 to 10000, got -5/);
    const response = await fetch(`http://127.0.0.1:${proxyPort}/`);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
  });
});
