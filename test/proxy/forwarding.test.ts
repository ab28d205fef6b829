import { afterEach, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import type { AccessLogEntry } from '../../src/telemetry/sink.js';
import { poolConfig, rawExchange, startBackend, startProxy, type Backend, type RunningProxy } from './fixture.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setUp(handler: Parameters<typeof startBackend>[0], trusted: string[] = []): Promise<{ backend: Backend; proxy: RunningProxy; agent: Agent }> {
  const backend = await startBackend(handler);
  cleanups.push(() => backend.close());
  const proxy = await startProxy(poolConfig([backend.url], { proxy: { trusted_proxies: trusted } }));
  cleanups.push(() => proxy.close());
  const agent = new Agent();
  cleanups.push(() => agent.close());
  return { backend, proxy, agent };
}

describe('forwarding', () => {
  it('forwards method, path, headers and body both ways', async () => {
    const { backend, proxy, agent } = await setUp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(201, { 'x-backend': 'yes', 'content-type': 'text/plain' });
        res.end(`${req.method} ${req.url} ${req.headers['x-custom']} ${Buffer.concat(chunks).toString()}`);
      });
    });
    const response = await request(`${proxy.url}/some/path?q=1`, { method: 'POST', body: 'hello', headers: { 'x-custom': 'abc' }, dispatcher: agent });
    expect(response.statusCode).toBe(201);
    expect(response.headers['x-backend']).toBe('yes');
    expect(await response.body.text()).toBe('POST /some/path?q=1 abc hello');
    expect(backend.hits).toHaveLength(1);
    expect(proxy.telemetry.requests).toEqual([{ backend: 'b1', statusCode: 201, bytesIn: 5, bytesOut: 29 }]);
    expect(proxy.outcomes.outcomes).toEqual([{ backend: 'b1', isFailure: false }]);
    expect(proxy.server.inflight).toBe(0);
  });

  it('removes hop-by-hop headers in both directions, including those named by Connection', async () => {
    let seen: Record<string, unknown> = {};
    const { proxy } = await setUp((req, res) => {
      seen = req.headers;
      res.setHeader('x-drop-me', '1');
      res.setHeader('connection', 'x-drop-me');
      res.setHeader('proxy-authenticate', 'Basic');
      res.setHeader('x-keep', 'kept');
      res.end('ok');
    });
    // undici (as a client) refuses to send a Connection header that names other headers, so raw bytes.
    const answer = await rawExchange(
      proxy.port,
      'GET / HTTP/1.1\r\nHost: x\r\nX-Secret-Hop: no\r\nConnection: close, X-Secret-Hop\r\nProxy-Authorization: Basic abc\r\nTE: trailers\r\nX-End-To-End: yes\r\n\r\n',
    );
    const head = answer.slice(0, answer.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).toMatch(/^http\/1.1 200/);
    expect(seen['x-secret-hop']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen['x-end-to-end']).toBe('yes');
    expect(head).not.toContain('x-drop-me');
    expect(head).not.toContain('proxy-authenticate');
    expect(head).toContain('x-keep: kept');
  });

  it('replaces X-Forwarded-* from an untrusted peer', async () => {
    let seen: Record<string, unknown> = {};
    const { proxy, agent } = await setUp((req, res) => {
      seen = req.headers;
      res.end();
    });
    const response = await request(proxy.url, { headers: { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }, dispatcher: agent });
    await response.body.text();
    expect(seen['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-host']).toBe(`127.0.0.1:${proxy.port}`);
  });

  it('appends to X-Forwarded-For and keeps -Proto and -Host from a trusted peer', async () => {
    let seen: Record<string, unknown> = {};
    const { proxy, agent } = await setUp((req, res) => {
      seen = req.headers;
      res.end();
    }, ['127.0.0.0/8', '::1']);
    const response = await request(proxy.url, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example' }, dispatcher: agent });
    await response.body.text();
    expect(seen['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(seen['x-forwarded-proto']).toBe('https');
    expect(seen['x-forwarded-host']).toBe('shop.example');
  });

  it('passes the client Host header to the backend', async () => {
    let host: string | undefined;
    const { proxy, agent } = await setUp((req, res) => {
      host = req.headers.host;
      res.end();
    });
    const response = await request(proxy.url, { headers: { host: 'portal.example.com' }, dispatcher: agent });
    await response.body.text();
    expect(host).toBe('portal.example.com');
  });

  it('keeps the backend status text and repeated response headers', async () => {
    const { proxy, agent } = await setUp((_req, res) => {
      res.statusMessage = 'Quite Fine';
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.end('x');
    });
    const response = await request(proxy.url, { dispatcher: agent });
    await response.body.text();
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('adds the persistence cookie to the backend\'s own cookies', async () => {
    const backend = await startBackend((_req, res) => {
      res.setHeader('set-cookie', 'app=1');
      res.end();
    });
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url], { pool: { persistence: { by: 'cookie', name: 'ek_session' } } }));
    cleanups.push(() => proxy.close());
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const response = await request(proxy.url, { dispatcher: agent });
    await response.body.text();
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    expect(cookies[0]).toBe('app=1');
    expect(cookies[1]).toMatch(/^ek_session=/);
    expect(cookies[1]).not.toMatch(/Secure/);
  });

  it('sees the client behind a trusted proxy as the request\'s source address', async () => {
    const entries: AccessLogEntry[] = [];
    const backend = await startBackend((_req, res) => res.end());
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url], { proxy: { trusted_proxies: ['127.0.0.1'] } }), { accessLog: { write: (entry) => entries.push(entry) } });
    cleanups.push(() => proxy.close());
    const agent = new Agent();
    cleanups.push(() => agent.close());
    await (await request(proxy.url, { headers: { 'x-forwarded-for': '198.51.100.4' }, dispatcher: agent })).body.text();
    expect(entries[0].clientIp).toBe('198.51.100.4');
  });

  it('writes one access log entry per request when an access log is given', async () => {
    const entries: AccessLogEntry[] = [];
    const backend = await startBackend((_req, res) => res.end('four'));
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url]), { accessLog: { write: (entry) => entries.push(entry) } });
    cleanups.push(() => proxy.close());
    const agent = new Agent();
    cleanups.push(() => agent.close());
    await (await request(`${proxy.url}/logged?x=1`, { dispatcher: agent })).body.text();
    expect(entries).toEqual([
      expect.objectContaining({ method: 'GET', path: '/logged?x=1', status: 200, pool: 'web', backend: 'b1', bytesOut: 4, clientIp: '127.0.0.1', error: '' }),
    ]);
  });

  it('passes HEAD, 204 and 304 responses through without a body', async () => {
    const { proxy, agent } = await setUp((req, res) => {
      if (req.url === '/204') return void res.writeHead(204).end();
      if (req.url === '/304') return void res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { 'content-length': '5' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    const head = await request(proxy.url, { method: 'HEAD', dispatcher: agent });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe('5');
    expect(await head.body.text()).toBe('');
    const noContent = await request(`${proxy.url}/204`, { dispatcher: agent });
    expect([noContent.statusCode, await noContent.body.text()]).toEqual([204, '']);
    const notModified = await request(`${proxy.url}/304`, { dispatcher: agent });
    expect([notModified.statusCode, notModified.headers.etag, await notModified.body.text()]).toEqual([304, '"v1"', '']);
    // The keep-alive connection is still in sync after bodiless responses.
    const after = await request(proxy.url, { dispatcher: agent });
    expect(await after.body.text()).toBe('hello');
  });
});
