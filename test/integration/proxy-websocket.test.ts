import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { poolConfig, rawExchange, refusingPort, startBlackhole, startProxy, until } from '../proxy/fixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startEchoServer(): Promise<{ url: string; handshakes: IncomingMessage[] }> {
  const server = createServer((_req, res) => res.end('plain'));
  const wss = new WebSocketServer({ server });
  const handshakes: IncomingMessage[] = [];
  wss.on('connection', (socket, req) => {
    handshakes.push(req);
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, handshakes };
}

describe('WebSocket', () => {
  it('proxies a WebSocket echo both ways, text and binary', async () => {
    const echo = await startEchoServer();
    const proxy = await startProxy(poolConfig([echo.url]));
    cleanups.push(() => proxy.close());

    const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/chat`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
    await once(client, 'open');
    const replies: string[] = [];
    client.on('message', (data) => replies.push(data.toString()));
    client.send('hello');
    client.send(Buffer.from('binary!'));
    const big = 'x'.repeat(200_000);
    client.send(big);
    await until(() => replies.length === 3);
    expect(replies).toEqual(['hello', 'binary!', big]);
    expect(echo.handshakes[0].url).toBe('/chat');
    expect(echo.handshakes[0].headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(proxy.snapshot.pools.get('web')!.members.totalInflight).toBe(1);

    client.close();
    await once(client, 'close');
    await until(() => proxy.server.inflight === 0);
    expect(proxy.snapshot.pools.get('web')!.members.totalInflight).toBe(0);
    expect(proxy.telemetry.requests).toEqual([expect.objectContaining({ backend: 'b1', statusCode: 101 })]);
  });

  it('answers 502 EK_UPSTREAM_CONNECT_FAILED when the backend refuses the upgrade connection', async () => {
    const proxy = await startProxy(poolConfig([`http://127.0.0.1:${await refusingPort()}`]));
    cleanups.push(() => proxy.close());
    const answer = await rawExchange(proxy.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 502 /);
    expect(answer).toContain('x-evenkeel-error: EK_UPSTREAM_CONNECT_FAILED');
    await until(() => proxy.server.inflight === 0);
    expect(proxy.outcomes.outcomes).toEqual([{ backend: 'b1', isFailure: true }]);
    expect(proxy.telemetry.requests).toEqual([expect.objectContaining({ statusCode: 502 })]);
  });

  it('answers 504 EK_UPSTREAM_CONNECT_TIMEOUT when the upgrade connection never completes', async () => {
    const hole = await startBlackhole();
    cleanups.push(() => hole.close());
    const proxy = await startProxy(poolConfig([hole.url], { proxy: { timeouts: { connect: '200ms' } } }));
    cleanups.push(() => proxy.close());
    const answer = await rawExchange(proxy.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1.1 504 /);
    expect(answer).toContain('x-evenkeel-error: EK_UPSTREAM_CONNECT_TIMEOUT');
    await until(() => proxy.server.inflight === 0);
  });
});
