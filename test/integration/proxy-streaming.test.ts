import { afterEach, describe, expect, it } from 'vitest';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { poolConfig, startBackend, startProxy, until } from '../proxy/fixture.js';

const TOTAL_BYTES = 200 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'z');
/** RSS may grow by this much while 200 MB flow through; buffering the body would need 200 MB. */
const MAX_RSS_GROWTH = 100 * 1024 * 1024;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A body generated on the fly, never held in memory. */
function generatedBody(totalBytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= totalBytes) return void this.push(null);
      sent += CHUNK.length;
      this.push(CHUNK);
    },
  });
}

/** Samples RSS until stopped; returns the peak. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

function settleMemory(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

describe('streaming', () => {
  it('streams a 200 MB upload and a 200 MB download with flat memory', { timeout: 60_000 }, async () => {
    let uploaded = 0;
    const backend = await startBackend((req, res) => {
      if (req.method === 'POST') {
        req.on('data', (chunk: Buffer) => (uploaded += chunk.length));
        req.on('end', () => res.end(String(uploaded)));
      } else {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        generatedBody(TOTAL_BYTES).pipe(res);
      }
    });
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url], { proxy: { max_body_size: '1gb' } }));
    cleanups.push(() => proxy.close());
    const agent = new HttpAgent({ keepAlive: false });
    cleanups.push(() => agent.destroy());

    const upload = (totalBytes: number) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${proxy.url}/up`, { method: 'POST', agent, headers: { 'transfer-encoding': 'chunked' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        generatedBody(totalBytes).pipe(req);
      });

    // Warm up first: the first megabytes grow the heap and socket buffers to their working size
    // (about 60 MB here), which is not the growth with body size this test is about.
    await upload(32 * 1024 * 1024);
    uploaded = 0;
    proxy.telemetry.requests.length = 0;
    const baseline = settleMemory();
    const sampler = sampleRss();

    expect(Number(await upload(TOTAL_BYTES))).toBe(TOTAL_BYTES);

    const downloaded = await new Promise<number>((resolve, reject) => {
      httpRequest(`${proxy.url}/down`, { agent }, (res) => {
        let count = 0;
        res.on('data', (c: Buffer) => (count += c.length));
        res.on('end', () => resolve(count));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    expect(downloaded).toBe(TOTAL_BYTES);

    const peak = sampler.stop();
    expect(peak - baseline).toBeLessThan(MAX_RSS_GROWTH);
    await until(() => proxy.server.inflight === 0);
    expect(proxy.telemetry.requests.map((r) => [r.bytesIn, r.bytesOut])).toEqual([
      [TOTAL_BYTES, String(TOTAL_BYTES).length],
      [0, TOTAL_BYTES],
    ]);
  });
});

describe('client disconnects', () => {
  it('aborts the upstream request and frees the slot when the client leaves mid-body', async () => {
    let backendSawAbort = false;
    const backend = await startBackend((req) => {
      req.resume();
      req.on('close', () => (backendSawAbort = !req.complete));
    });
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url]));
    cleanups.push(() => proxy.close());
    const members = proxy.snapshot.pools.get('web')!.members;

    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    socket.write('a'.repeat(1000));
    await until(() => backend.hits.length === 1 && members.totalInflight === 1);
    socket.destroy();
    await until(() => backendSawAbort && proxy.server.inflight === 0);
    expect(members.totalInflight).toBe(0);
    expect(members.backends[0].inflight).toBe(0);
    expect(proxy.telemetry.requests).toEqual([expect.objectContaining({ statusCode: 499, bytesIn: 1000 })]);
  });

  it('aborts the upstream response when the client leaves mid-response', async () => {
    let backendSawClose = false;
    const backend = await startBackend((_req, res) => {
      res.writeHead(200);
      res.write('first part');
      res.on('close', () => (backendSawClose = !res.writableFinished));
    });
    cleanups.push(() => backend.close());
    const proxy = await startProxy(poolConfig([backend.url]));
    cleanups.push(() => proxy.close());

    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    await until(() => backendSawClose && proxy.server.inflight === 0);
    expect(proxy.snapshot.pools.get('web')!.members.totalInflight).toBe(0);
  });
});
