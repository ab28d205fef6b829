import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEvenkeel, startUpstream, sumMetric, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

describe('a node with two worker processes', () => {
  let upstreams: TestUpstream[];
  let evenkeel: EvenkeelProcess;
  let proxyUrl: string;
  let adminUrl: string;

  beforeAll(async () => {
    upstreams = await Promise.all(['heavy', 'light'].map((name) => startUpstream(name)));
    const proxyPort = await freePort();
    const adminPort = await freePort();
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
    adminUrl = `http://127.0.0.1:${adminPort}`;
    evenkeel = await startEvenkeel(`listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
workers: 2
pools:
  web:
    algorithm: round-robin
    backends:
      - { id: heavy, url: "${upstreams[0].url}", weight: 300 }
      - { id: light, url: "${upstreams[1].url}", weight: 100 }
`);
  });

  afterAll(async () => {
    await evenkeel?.stop();
    await Promise.all(upstreams.map((upstream) => upstream.close()));
  });

  it('keeps shares on the weights (3:1, ±3 points) and counts every request exactly once in /metrics', async () => {
    const total = 4000;
    // Many connections so that both workers take a good part of the traffic.
    const agent = new Agent({ connections: 32, pipelining: 0 });
    let sent = 0;
    const client = async () => {
      while (sent < total) {
        sent++;
        const response = await request(proxyUrl + '/', { dispatcher: agent, reset: true });
        await response.body.text();
        expect(response.statusCode).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 32 }, () => client()));
    await agent.close();
    const heavyShare = upstreams[0].requests / total;
    expect(upstreams[0].requests + upstreams[1].requests).toBe(total);
    expect(Math.abs(heavyShare - 0.75)).toBeLessThanOrEqual(0.03);

    // Workers report their counts every second; wait (bounded) until the primary has them all.
    let counted = 0;
    for (let attempt = 0; attempt < 50 && counted < total; attempt++) {
      const text = await (await fetch(adminUrl + '/metrics')).text();
      counted = sumMetric(text, 'evenkeel_backend_requests_total', { pool: 'web' });
      if (counted < total) await new Promise((done) => setTimeout(done, 200));
    }
    expect(counted).toBe(total);
    const text = await (await fetch(adminUrl + '/metrics')).text();
    expect(sumMetric(text, 'evenkeel_backend_requests_total', { backend: 'heavy' })).toBe(upstreams[0].requests);
    expect(sumMetric(text, 'evenkeel_backend_requests_total', { backend: 'light' })).toBe(upstreams[1].requests);
  });
});
