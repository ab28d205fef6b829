import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { once } from 'node:events';
import { Agent, request } from 'undici';
import { parseConfig, poolConfig, refusingPort, startBackend, startBlackhole, startProxy, until, type RunningProxy } from '../proxy/fixture.js';
import type { Config } from '../../src/config/index.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function proxyFor(config: Config): Promise<{ proxy: RunningProxy; agent: Agent }> {
  const proxy = await startProxy(config);
  cleanups.push(() => proxy.close());
  const agent = new Agent({ connections: 20 });
  cleanups.push(() => agent.destroy());
  return { proxy, agent };
}

async function backend(handler: Parameters<typeof startBackend>[0]) {
  const b = await startBackend(handler);
  cleanups.push(() => b.close());
  return b;
}

async function get(agent: Agent, url: string, method = 'GET', body?: string) {
  const response = await request(url, { method: method as 'GET', dispatcher: agent, body });
  const text = await response.body.text();
  return { status: response.statusCode, code: response.headers['x-evenkeel-error'], text };
}

describe('retries', () => {
  it('retries a GET on another backend when the first refuses the connection', async () => {
    const good = await backend((_req, res) => res.end('good'));
    const { proxy, agent } = await proxyFor(poolConfig([`http://127.0.0.1:${await refusingPort()}`, good.url]));
    const results = await Promise.all([1, 2, 3, 4].map(() => get(agent, proxy.url)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(good.hits).toHaveLength(4);
    expect(proxy.outcomes.outcomes.filter((o) => o.backend === 'b1' && o.isFailure).length).toBeGreaterThan(0);
    expect(proxy.telemetry.requests).toHaveLength(4);
    expect(proxy.server.inflight).toBe(0);
  });

  it('retries a PUT whose body was not sent yet, and the retried backend gets the whole body', async () => {
    const bodies: string[] = [];
    const good = await backend((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        bodies.push(text);
        res.end('stored');
      });
    });
    const { proxy, agent } = await proxyFor(poolConfig([`http://127.0.0.1:${await refusingPort()}`, good.url]));
    const payload = 'p'.repeat(100_000);
    const results = [];
    for (let i = 0; i < 2; i++) results.push(await get(agent, proxy.url, 'PUT', payload));
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(bodies).toEqual([payload, payload]);
    expect(proxy.telemetry.requests.map((r) => r.bytesIn)).toEqual([100_000, 100_000]);
  });

  it('keeps serving GETs after a backend is killed', async () => {
    const doomed = await backend((_req, res) => res.end('doomed'));
    const survivor = await backend((_req, res) => res.end('survivor'));
    const { proxy, agent } = await proxyFor(poolConfig([doomed.url, survivor.url]));
    for (let i = 0; i < 4; i++) expect((await get(agent, proxy.url)).status).toBe(200);
    await doomed.close();
    const after = await Promise.all([1, 2, 3, 4, 5, 6].map(() => get(agent, proxy.url)));
    expect(after.every((r) => r.status === 200 && r.text === 'survivor')).toBe(true);
  });

  it('retries a GET when the backend resets the connection before answering', async () => {
    const { createServer } = await import('node:net');
    const resetter = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    resetter.listen(0, '127.0.0.1');
    await once(resetter, 'listening');
    cleanups.push(() => new Promise((resolve) => resetter.close(resolve)));
    const good = await backend((_req, res) => res.end('good'));
    const resetPort = (resetter.address() as { port: number }).port;
    const { proxy, agent } = await proxyFor(poolConfig([`http://127.0.0.1:${resetPort}`, good.url]));
    const results = await Promise.all([1, 2, 3, 4].map(() => get(agent, proxy.url)));
    expect(results.every((r) => r.status === 200 && r.text === 'good')).toBe(true);
    expect(proxy.outcomes.outcomes.filter((o) => o.backend === 'b1' && o.isFailure).length).toBe(2);
  });

  it('answers 502 EK_UPSTREAM_RESET when the only backend resets the connection', async () => {
    const { createServer } = await import('node:net');
    const resetter = createServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    resetter.listen(0, '127.0.0.1');
    await once(resetter, 'listening');
    cleanups.push(() => new Promise((resolve) => resetter.close(resolve)));
    const resetPort = (resetter.address() as { port: number }).port;
    const { proxy, agent } = await proxyFor(poolConfig([`http://127.0.0.1:${resetPort}`]));
    expect(await get(agent, proxy.url)).toMatchObject({ status: 502, code: 'EK_UPSTREAM_RESET' });
    expect(proxy.telemetry.requests).toEqual([expect.objectContaining({ backend: 'b1', statusCode: 502 })]);
  });

  it('does not retry a POST: it answers 502 EK_UPSTREAM_CONNECT_FAILED', async () => {
    const good = await backend((req, res) => {
      req.resume();
      req.on('end', () => res.end('good'));
    });
    const { proxy, agent } = await proxyFor(poolConfig([`http://127.0.0.1:${await refusingPort()}`, good.url]));
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await get(agent, proxy.url, 'POST', 'payload'));
    const failed = results.filter((r) => r.status === 502);
    expect(failed).toHaveLength(2);
    expect(failed.every((r) => r.code === 'EK_UPSTREAM_CONNECT_FAILED')).toBe(true);
    expect(good.hits).toHaveLength(2);
  });
});

describe('timeouts', () => {
  it('answers 504 EK_UPSTREAM_CONNECT_TIMEOUT when the connection to the backend never completes', async () => {
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const { proxy, agent } = await proxyFor(poolConfig([hole.url], { proxy: { timeouts: { connect: '200ms' } } }));
    const result = await get(agent, proxy.url);
    expect(result).toMatchObject({ status: 504, code: 'EK_UPSTREAM_CONNECT_TIMEOUT' });
    expect(proxy.outcomes.outcomes).toEqual([{ backend: 'b1', isFailure: true }]);
  });

  it('answers 504 EK_UPSTREAM_TIMEOUT when response headers do not come in time', async () => {
    const silent = await backend(() => undefined);
    const { proxy, agent } = await proxyFor(poolConfig([silent.url], { proxy: { timeouts: { response_headers: '200ms' } } }));
    expect(await get(agent, proxy.url)).toMatchObject({ status: 504, code: 'EK_UPSTREAM_TIMEOUT' });
    expect(proxy.telemetry.requests).toEqual([expect.objectContaining({ backend: 'b1', statusCode: 504 })]);
    expect(silent.hits).toHaveLength(1);
  });

  it('cuts the client connection when the backend goes idle mid-response', async () => {
    const stalling = await backend((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const { proxy, agent } = await proxyFor(poolConfig([stalling.url], { proxy: { timeouts: { idle: '200ms' } } }));
    const response = await request(proxy.url, { dispatcher: agent });
    expect(response.statusCode).toBe(200);
    await expect(response.body.text()).rejects.toThrow();
    await until(() => proxy.server.inflight === 0);
    expect(proxy.outcomes.outcomes).toEqual([{ backend: 'b1', isFailure: false }]);
  });

  it('answers 408 EK_CLIENT_IDLE_TIMEOUT when the request body stalls', async () => {
    const sink = await backend((req, res) => {
      req.resume();
      req.on('end', () => res.end());
    });
    const { proxy } = await proxyFor(poolConfig([sink.url], { proxy: { timeouts: { idle: '200ms' } } }));
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    const [data] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    expect(data.toString()).toMatch(/^HTTP\/1.1 408/);
    expect(data.toString()).toContain('x-evenkeel-error: EK_CLIENT_IDLE_TIMEOUT');
    await until(() => proxy.server.inflight === 0);
  });

  it('answers 504 EK_UPSTREAM_IDLE_TIMEOUT, not 408, when the backend stops reading the request body', { timeout: 20_000 }, async () => {
    const stubborn = await backend((req) => req.pause());
    const { proxy } = await proxyFor(poolConfig([stubborn.url], { proxy: { timeouts: { idle: '300ms' }, max_body_size: '1gb' } }));
    const { request: httpRequest } = await import('node:http');
    const chunk = Buffer.alloc(64 * 1024);
    const status = await new Promise<{ status: number; code: unknown }>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/upload`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, code: res.headers['x-evenkeel-error'] });
        req.destroy();
      });
      req.on('error', reject);
      let sent = 0;
      // Bounded: 256 MB is far more than the socket buffers between here and the backend.
      const pump = () => {
        while (sent < 256 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    expect(status).toEqual({ status: 504, code: 'EK_UPSTREAM_IDLE_TIMEOUT' });
    await until(() => proxy.server.inflight === 0);
  });

  it('answers 504 EK_REQUEST_TIMEOUT when the whole request takes too long', async () => {
    const slow = await backend((_req, res) => {
      const timer = setTimeout(() => res.end('late'), 3000);
      res.on('close', () => clearTimeout(timer));
    });
    const { proxy, agent } = await proxyFor(poolConfig([slow.url], { proxy: { timeouts: { request: '300ms' } } }));
    expect(await get(agent, proxy.url)).toMatchObject({ status: 504, code: 'EK_REQUEST_TIMEOUT' });
    await until(() => proxy.server.inflight === 0);
    expect(proxy.snapshot.pools.get('web')!.members.totalInflight).toBe(0);
  });
});

describe('capacity', () => {
  function heldBackend() {
    const held: (() => void)[] = [];
    return {
      held,
      handler: (_req: unknown, res: { end(text: string): void }) => held.push(() => res.end('done')),
    };
  }

  it('queues a request while the backend is at max_inflight and serves it when a slot frees', async () => {
    const { held, handler } = heldBackend();
    const b = await backend(handler as never);
    const { proxy, agent } = await proxyFor(poolConfig([b.url], { pool: { max_inflight: 1, queue: { size: 5, timeout: '5s' } } }));
    const first = get(agent, proxy.url);
    await until(() => held.length === 1);
    const second = get(agent, proxy.url);
    await until(() => proxy.snapshot.pools.get('web')!.queue.length === 1);
    expect(b.hits).toHaveLength(1);
    held[0]();
    await until(() => held.length === 2);
    held[1]();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
  });

  it('answers 503 EK_QUEUE_FULL when the queue is full and 503 EK_QUEUE_TIMEOUT after waiting too long', async () => {
    const { held, handler } = heldBackend();
    const b = await backend(handler as never);
    const { proxy, agent } = await proxyFor(poolConfig([b.url], { pool: { max_inflight: 1, queue: { size: 1, timeout: '1s' } } }));
    const first = get(agent, proxy.url);
    await until(() => held.length === 1);
    const queued = get(agent, proxy.url);
    await until(() => proxy.snapshot.pools.get('web')!.queue.length === 1);
    expect(await get(agent, proxy.url)).toMatchObject({ status: 503, code: 'EK_QUEUE_FULL' });
    expect(await queued).toMatchObject({ status: 503, code: 'EK_QUEUE_TIMEOUT' });
    held[0]();
    expect((await first).status).toBe(200);
    expect(proxy.telemetry.proxyErrors.map((e) => e.code).sort()).toEqual(['EK_QUEUE_FULL', 'EK_QUEUE_TIMEOUT']);
  });

  it('forgets a queued request whose client leaves, without recording it', async () => {
    const { held, handler } = heldBackend();
    const b = await backend(handler as never);
    const { proxy, agent } = await proxyFor(poolConfig([b.url], { pool: { max_inflight: 1, queue: { size: 5, timeout: '5s' } } }));
    const first = get(agent, proxy.url);
    await until(() => held.length === 1);
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('GET /queued HTTP/1.1\r\nHost: x\r\n\r\n');
    const queue = proxy.snapshot.pools.get('web')!.queue;
    await until(() => queue.length === 1);
    socket.destroy();
    await until(() => queue.length === 0 && proxy.server.inflight === 1);
    held[0]();
    expect((await first).status).toBe(200);
    await until(() => proxy.server.inflight === 0);
    expect(b.hits).toHaveLength(1);
    expect(proxy.telemetry.requests).toHaveLength(1);
    expect(proxy.telemetry.proxyErrors).toEqual([]);
  });

  it('answers 503 EK_NO_HEALTHY_BACKEND when no backend is selectable', async () => {
    const b = await backend((_req, res) => res.end());
    const { proxy, agent } = await proxyFor(poolConfig([b.url]));
    const state = proxy.snapshot.pools.get('web')!.members.backends[0];
    state.isHealthy = false;
    state.effectiveWeight = 0;
    proxy.snapshot.pools.get('web')!.members.touch();
    expect(await get(agent, proxy.url)).toMatchObject({ status: 503, code: 'EK_NO_HEALTHY_BACKEND' });
    expect(b.hits).toHaveLength(0);
  });
});

describe('requests the proxy answers itself', () => {
  it('forwards an absolute-form request target in origin form', async () => {
    const b = await backend((req, res) => res.end(req.url));
    const { proxy } = await proxyFor(poolConfig([b.url]));
    const { rawExchange } = await import('../proxy/fixture.js');
    const answer = await rawExchange(proxy.port, 'GET http://example.com/a/b?c=d HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    expect(answer.endsWith('/a/b?c=d')).toBe(true);
  });

  it('answers 400 EK_BAD_REQUEST to a target it cannot forward, such as OPTIONS *', async () => {
    const b = await backend((_req, res) => res.end());
    const { proxy } = await proxyFor(poolConfig([b.url]));
    const { rawExchange } = await import('../proxy/fixture.js');
    const answer = await rawExchange(proxy.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    expect(answer).toContain('EK_BAD_REQUEST');
    expect(b.hits).toHaveLength(0);
  });

  it('answers 404 EK_NO_ROUTE when no route matches', async () => {
    const b = await backend((_req, res) => res.end());
    const config = parseConfig({ pools: { web: { backends: [{ id: 'b1', url: b.url }] } }, routes: [{ match: { host: 'only.example' }, pool: 'web' }] });
    const { proxy, agent } = await proxyFor(config);
    expect(await get(agent, proxy.url)).toMatchObject({ status: 404, code: 'EK_NO_ROUTE' });
    expect(b.hits).toHaveLength(0);
  });

  it('answers 413 EK_BODY_TOO_LARGE for a declared length over max_body_size without contacting a backend', async () => {
    const b = await backend((req, res) => {
      req.resume();
      req.on('end', () => res.end());
    });
    const { proxy } = await proxyFor(poolConfig([b.url], { proxy: { max_body_size: '1kb' } }));
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n');
    const [data] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    expect(data.toString()).toMatch(/^HTTP\/1.1 413/);
    expect(data.toString()).toContain('x-evenkeel-error: EK_BODY_TOO_LARGE');
    expect(b.hits).toHaveLength(0);
  });

  it('answers 413 EK_BODY_TOO_LARGE when a chunked body passes max_body_size, aborting the upstream request', async () => {
    let upstreamAborted = false;
    const b = await backend((req) => {
      req.resume();
      req.on('close', () => (upstreamAborted = !req.complete));
    });
    const { proxy } = await proxyFor(poolConfig([b.url], { proxy: { max_body_size: '1kb' } }));
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n');
    const chunk = `400\r\n${'x'.repeat(0x400)}\r\n`;
    const answer = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write(chunk);
    await until(() => b.hits.length === 1);
    socket.write(chunk);
    socket.write(chunk);
    const text = await answer;
    socket.destroy();
    expect(text).toMatch(/^HTTP\/1.1 413/);
    expect(text).toContain('x-evenkeel-error: EK_BODY_TOO_LARGE');
    await until(() => proxy.server.inflight === 0);
    await until(() => upstreamAborted);
  });
});
