import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { once } from 'node:events';
import { Agent, request } from 'undici';
import { retireSnapshot } from '../../src/proxy/index.js';
import { makeSnapshot, poolConfig, startBackend, startProxy, until } from '../proxy/fixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A backend that answers only when told to. */
async function heldBackend(name: string) {
  const held: (() => void)[] = [];
  const backend = await startBackend((_req, res) => held.push(() => res.end(name)));
  cleanups.push(() => backend.close());
  return { backend, held, releaseAll: () => held.splice(0).forEach((answer) => answer()) };
}

async function text(agent: Agent, url: string) {
  const response = await request(url, { dispatcher: agent });
  return { status: response.statusCode, body: await response.body.text() };
}

describe('swap', () => {
  it('sends new requests to the new snapshot while started ones finish on the old one', async () => {
    const oldSide = await heldBackend('old');
    const newSide = await startBackend((_req, res) => res.end('new'));
    cleanups.push(() => newSide.close());
    const proxy = await startProxy(poolConfig([oldSide.backend.url]));
    cleanups.push(() => proxy.close());
    const agent = new Agent({ connections: 50 });
    cleanups.push(() => agent.destroy());

    const started = Array.from({ length: 10 }, () => text(agent, proxy.url));
    await until(() => oldSide.held.length === 10);

    const next = makeSnapshot(poolConfig([newSide.url]), proxy.snapshot);
    const previous = proxy.server.snapshot;
    proxy.server.swap(next);
    const retired = retireSnapshot(previous, next);

    const after = await Promise.all(Array.from({ length: 10 }, () => text(agent, proxy.url)));
    expect(after.every((r) => r.status === 200 && r.body === 'new')).toBe(true);

    oldSide.releaseAll();
    const before = await Promise.all(started);
    expect(before.every((r) => r.status === 200 && r.body === 'old')).toBe(true);
    await retired;
    expect(proxy.server.inflight).toBe(0);
  });
});

describe('swap under load', () => {
  it('loses no request while configs swap back and forth under concurrent load', { timeout: 30_000 }, async () => {
    const a = await startBackend((_req, res) => setImmediate(() => res.end('a')));
    const b = await startBackend((_req, res) => setImmediate(() => res.end('b')));
    cleanups.push(() => a.close(), () => b.close());
    const configs = [poolConfig([a.url]), poolConfig([b.url]), poolConfig([a.url, b.url])];
    const proxy = await startProxy(configs[2]);
    cleanups.push(() => proxy.close());
    const agent = new Agent({ connections: 32 });
    cleanups.push(() => agent.destroy());

    let isLoading = true;
    let swaps = 0;
    const retiring: Promise<void>[] = [];
    const swapper = (async () => {
      while (isLoading && swaps < 500) {
        const previous = proxy.server.snapshot;
        const next = makeSnapshot(configs[swaps % 3], previous);
        proxy.server.swap(next);
        retiring.push(retireSnapshot(previous, next));
        swaps++;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 25; i++) statuses.push((await text(agent, proxy.url)).status);
      }),
    );
    isLoading = false;
    await swapper;
    await Promise.all(retiring);
    expect(swaps).toBeGreaterThan(5);
    expect(statuses).toHaveLength(800);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(proxy.server.inflight).toBe(0);
    expect(proxy.server.snapshot.pools.get('web')!.members.totalInflight).toBe(0);
    expect(proxy.telemetry.requests).toHaveLength(800);
  });
});

describe('close', () => {
  it('stops accepting, finishes in-flight requests, then resolves', async () => {
    const side = await heldBackend('done');
    const proxy = await startProxy(poolConfig([side.backend.url]));
    const agent = new Agent();
    cleanups.push(() => agent.destroy());

    const inFlight = text(agent, proxy.url);
    await until(() => side.held.length === 1);
    const closed = proxy.server.close(10_000);
    let isClosed = false;
    void closed.then(() => (isClosed = true));

    // New connections are refused while the old request drains.
    const refused = connect(proxy.port, '127.0.0.1');
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(isClosed).toBe(false);

    side.releaseAll();
    expect(await inFlight).toEqual({ status: 200, body: 'done' });
    await closed;
    expect(proxy.server.inflight).toBe(0);
  });

  it('closes idle keep-alive client connections at once', async () => {
    const backend = await startBackend((_req, res) => res.end('ok'));
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url]));
    const client = connect(proxy.port, '127.0.0.1');
    client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await once(client, 'data');
    const clientClosed = once(client, 'close');
    await proxy.server.close(10_000);
    await clientClosed;
  });

  it('cuts requests still running when the drain time is over', async () => {
    const side = await heldBackend('never');
    const proxy = await startProxy(poolConfig([side.backend.url]));
    const agent = new Agent();
    cleanups.push(() => agent.destroy());
    const stuck = request(proxy.url, { dispatcher: agent }).then(
      (r) => r.body.text(),
      (error: unknown) => error,
    );
    await until(() => side.held.length === 1);
    await proxy.server.close(200);
    expect(await stuck).toBeInstanceOf(Error);
    await until(() => proxy.server.inflight === 0);
    expect(proxy.snapshot.pools.get('web')!.members.totalInflight).toBe(0);
  });
});
