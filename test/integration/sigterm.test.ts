import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEvenkeel, startUpstream, type TestUpstream } from './support/evenkeel-process.js';

describe('stopping with SIGTERM', () => {
  let slow: TestUpstream;

  beforeAll(async () => {
    slow = await startUpstream('slow', 800);
  });

  afterAll(async () => {
    await slow?.close();
  });

  for (const workers of [1, 2]) {
    it(`finishes the request in flight, refuses new connections and exits 0 (workers: ${workers})`, async () => {
      const proxyPort = await freePort();
      const adminPort = await freePort();
      const evenkeel = await startEvenkeel(`listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
workers: ${workers}
proxy: { drain_timeout: 10s }
pools:
  web:
    backends:
      - { id: slow, url: "${slow.url}" }
`);
      const arrived = slow.nextRequest();
      const inFlight = fetch(`http://127.0.0.1:${proxyPort}/`);
      // Ask evenkeel to stop once the request has reached the backend (it answers 800 ms later).
      await arrived;
      const exit = once(evenkeel.child, 'exit');
      evenkeel.child.kill('SIGTERM');
      await evenkeel.waitForLog('stopping');
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('slow');
      const [code] = await exit;
      expect(code).toBe(0);
      await expect(fetch(`http://127.0.0.1:${proxyPort}/`)).rejects.toThrow();
    });
  }
});
