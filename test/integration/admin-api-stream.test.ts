import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN } from './support/admin-client.js';
import { freePort, startEvenkeel, startUpstream } from './support/evenkeel-process.js';

describe('the live stats stream of a running node', () => {
  it('sends a stats event at once and does not hold up SIGTERM', async () => {
    const upstream = await startUpstream('a');
    const proxyPort = await freePort();
    const adminPort = await freePort();
    const evenkeel = await startEvenkeel(
      `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
pools:
  web:
    backends:
      - { id: a, url: "${upstream.url}" }
`,
      [],
      { EVENKEEL_BOOTSTRAP_TOKEN: TEST_ADMIN_TOKEN },
    );
    try {
      const response = await fetch(`http://127.0.0.1:${adminPort}/api/v1/stats/stream`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      let text = '';
      for (let reads = 0; reads < 20 && !text.includes('data: '); reads++) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('"pool":"web"');
      const startedMs = Date.now();
      expect(await evenkeel.stop()).toBe(0);
      // The default drain timeout is 15 s: an open stream holding the admin server would show here.
      expect(Date.now() - startedMs).toBeLessThan(5000);
    } finally {
      if (evenkeel.child.exitCode === null) evenkeel.child.kill('SIGKILL');
      await upstream.close();
    }
  });
});
