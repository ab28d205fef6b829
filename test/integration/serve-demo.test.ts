import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEvenkeel, type EvenkeelProcess } from './support/evenkeel-process.js';

// `npm start` runs examples/demo.yaml. This runs the same file, with free ports in place of the
// fixed ones so that it can run beside anything else on the machine.

describe('the demo config', () => {
  let evenkeel: EvenkeelProcess;
  let proxyUrl: string;
  let adminUrl: string;

  beforeAll(async () => {
    let text = readFileSync(resolve(import.meta.dirname, '../../examples/demo.yaml'), 'utf8');
    const proxyPort = await freePort();
    const adminPort = await freePort();
    text = text.replaceAll('127.0.0.1:8080', `127.0.0.1:${proxyPort}`).replaceAll('127.0.0.1:9090', `127.0.0.1:${adminPort}`);
    for (const demoPort of [18081, 18082, 18083, 18084, 18085]) {
      const port = await freePort();
      text = text.replaceAll(String(demoPort), String(port));
    }
    evenkeel = await startEvenkeel(text);
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;
  });

  afterAll(async () => {
    await evenkeel?.stop();
  });

  it('prints where to look: the proxy, metrics and pools URLs', () => {
    expect(evenkeel.stdout()).toContain(`proxy:     ${proxyUrl}`);
    expect(evenkeel.stdout()).toContain(`metrics:   ${adminUrl}/metrics`);
  });

  it('spreads cookie-less requests over the five demo upstreams as the weights say (100,100,100,200,200; ±2 requests in 700)', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 700; i++) {
      const response = await fetch(proxyUrl + '/');
      expect(response.status).toBe(200);
      const name = response.headers.get('x-demo-upstream') ?? 'none';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      await response.arrayBuffer();
    }
    // Smooth weighted round robin is exact over a whole cycle: 700 requests are 100 cycles of 7.
    for (const name of ['demo-1', 'demo-2', 'demo-3']) expect(Math.abs((counts.get(name) ?? 0) - 100)).toBeLessThanOrEqual(2);
    for (const name of ['demo-4', 'demo-5']) expect(Math.abs((counts.get(name) ?? 0) - 200)).toBeLessThanOrEqual(2);
  });

  it('pins a browser with its signed session cookie to one upstream', async () => {
    const first = await fetch(proxyUrl + '/');
    const cookie = first.headers.get('set-cookie');
    expect(cookie).toMatch(/^ek_session=/);
    const pinned = first.headers.get('x-demo-upstream');
    await first.arrayBuffer();
    for (let i = 0; i < 20; i++) {
      const response = await fetch(proxyUrl + '/', { headers: { cookie: cookie!.split(';')[0] } });
      expect(response.headers.get('x-demo-upstream')).toBe(pinned);
      await response.arrayBuffer();
    }
  });

  it('serves Prometheus metrics that count the demo traffic', async () => {
    const text = await (await fetch(adminUrl + '/metrics')).text();
    expect(text).toContain('evenkeel_backend_requests_total{');
    expect(text).toContain('evenkeel_backend_effective_weight{');
  });
});
