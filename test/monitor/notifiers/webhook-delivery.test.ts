import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDelivery } from '../../../src/monitor/notifiers/index.js';
import { NO_ANSWER, ReceivingServer, monitorConfig, recordingLogger, transitionTo, type ReceivedRequest } from './delivery-fixture.js';

const SECRET = 'a-webhook-secret-of-32-characters';
const servers: ReceivingServer[] = [];

async function receiver(respond?: (request: ReceivedRequest, index: number) => number): Promise<ReceivingServer> {
  const server = await ReceivingServer.start(respond);
  servers.push(server);
  return server;
}

/** A delivery to one webhook with retries after 10 ms, 20 ms, ... instead of 1 s, 2 s, ... */
function deliveryTo(webhook: object) {
  const logger = recordingLogger();
  const delivery = new AlertDelivery({ config: () => monitorConfig({ webhooks: [webhook] }), logger, retryBaseDelayMs: 10, retryMaxDelayMs: 40 });
  return { delivery, logger };
}

/** How a receiver checks a delivery: the HMAC of "timestamp.body", compared in constant time. */
function isSignedBy(secret: string, request: ReceivedRequest): boolean {
  const timestamp = String(request.headers['x-evenkeel-timestamp']);
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`);
  const received = Buffer.from(String(request.headers['x-evenkeel-signature']));
  return expected.length === received.length && timingSafeEqual(expected, received);
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('webhook delivery', () => {
  it('posts the transition and the whole alert as JSON, signed so that the receiver can verify it with node:crypto', async () => {
    const server = await receiver();
    const { delivery, logger } = deliveryTo({ url: server.url, secret: SECRET });
    const before = Math.floor(Date.now() / 1000);
    delivery.deliver(transitionTo('firing'));
    await delivery.close();

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.headers['content-type']).toBe('application/json');
    expect(isSignedBy(SECRET, request)).toBe(true);
    expect(isSignedBy('another-secret-of-enough-length', request)).toBe(false);
    expect(Number(request.headers['x-evenkeel-timestamp'])).toBeGreaterThanOrEqual(before);
    const body = JSON.parse(request.body);
    expect(body.version).toBe(1);
    expect(body.transition).toEqual({ from: 'pending', to: 'firing', at: transitionTo('firing').at });
    expect(body.alert).toMatchObject({ fingerprint: 'skew/portal/*', rule: 'skew', pool: 'portal', backend: null, state: 'firing', backends: ['web-1', 'web-2'] });
    expect(body.alert.summary).toContain('web-1 and web-2 carry 81% of requests, expected 40%.');
    expect(body.alert.causes[0].changeId).toBe(42);
    expect(logger.lines).toEqual([]);
  });

  it('sends no signature header when the webhook has no secret', async () => {
    const server = await receiver();
    const { delivery } = deliveryTo({ url: server.url });
    delivery.deliver(transitionTo('firing'));
    await delivery.close();
    expect(server.requests[0].headers['x-evenkeel-signature']).toBeUndefined();
    expect(server.requests[0].headers['x-evenkeel-timestamp']).toMatch(/^\d+$/);
  });

  it('retries a 500 twice and delivers once when the third attempt gets a 200, without blocking the caller', async () => {
    const server = await receiver((_, index) => (index < 2 ? 500 : 200));
    const { delivery, logger } = deliveryTo({ url: server.url, secret: SECRET });
    delivery.deliver(transitionTo('firing'));
    // deliver() returned before the first attempt even reached the receiver: it only queued.
    expect(server.requests).toHaveLength(0);
    await delivery.close();

    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((request) => request.body)).size).toBe(1);
    expect(server.requests.every((request) => isSignedBy(SECRET, request))).toBe(true);
    expect(logger.lines.map((line) => line.level)).toEqual(['warn', 'warn']);
    expect(logger.lines[0].obj).toMatchObject({ url: server.url, code: 'EK_DELIVERY_HTTP_STATUS', attempt: 1 });
    expect(logger.lines[0].msg).toContain('HTTP 500');
  });

  it('retries a 429 and a request the receiver never answers within the timeout', async () => {
    const server = await receiver((_, index) => [429, NO_ANSWER, 204][index]);
    const { delivery, logger } = deliveryTo({ url: server.url, timeout: '200ms' });
    delivery.deliver(transitionTo('firing'));
    await delivery.close();
    expect(server.requests).toHaveLength(3);
    expect(logger.lines.map((line) => line.obj.code)).toEqual(['EK_DELIVERY_HTTP_STATUS', 'EK_DELIVERY_TIMEOUT']);
  });

  it('does not retry a 400 and logs an error naming the URL and the answer', async () => {
    const server = await receiver(() => 400);
    const { delivery, logger } = deliveryTo({ url: server.url });
    delivery.deliver(transitionTo('firing'));
    await delivery.close();
    expect(server.requests).toHaveLength(1);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({ level: 'error', obj: { url: server.url, status: 400, code: 'EK_DELIVERY_HTTP_STATUS' } });
    expect(logger.lines[0].msg).toContain('not retried');
  });

  it('logs the URL without credentials or query string, which may hold tokens', async () => {
    const server = await receiver(() => 400);
    const url = server.url.replace('http://', 'http://user:password@') + '?token=abc';
    const { delivery, logger } = deliveryTo({ url });
    delivery.deliver(transitionTo('firing'));
    await delivery.close();
    expect(server.requests[0].url).toBe('/hook?token=abc');
    expect(logger.lines[0].obj.url).toBe(server.url);
    expect(JSON.stringify(logger.lines)).not.toMatch(/password|abc/);
  });

  it('gives up after max_attempts and logs an error saying so', async () => {
    const server = await receiver(() => 503);
    const { delivery, logger } = deliveryTo({ url: server.url, max_attempts: 4 });
    delivery.deliver(transitionTo('firing'));
    await delivery.close();
    expect(server.requests).toHaveLength(4);
    expect(logger.lines.map((line) => line.level)).toEqual(['warn', 'warn', 'warn', 'error']);
    expect(logger.lines[3].msg).toBe(`alert delivery to ${server.url} failed: HTTP 503: no; gave up after 4 attempt(s)`);
  });

  it('logs an unreachable receiver and never throws at the caller', async () => {
    const server = await receiver();
    const url = server.url;
    await server.close();
    servers.length = 0;
    const { delivery, logger } = deliveryTo({ url, max_attempts: 2 });
    expect(() => delivery.deliver(transitionTo('firing'))).not.toThrow();
    await delivery.close();
    expect(logger.lines.map((line) => [line.level, line.obj.code, line.obj.url])).toEqual([
      ['warn', 'EK_DELIVERY_NETWORK', url],
      ['error', 'EK_DELIVERY_NETWORK', url],
    ]);
  });

  it('keeps the notifications of one alert in order: the resolution waits for the firing one to get through', async () => {
    const server = await receiver((request, index) => (index < 2 ? 500 : 200));
    const { delivery } = deliveryTo({ url: server.url });
    delivery.deliver(transitionTo('pending'));
    delivery.deliver(transitionTo('firing'));
    delivery.deliver(transitionTo('resolved'));
    await delivery.close();
    const moves = server.requests.map((request) => JSON.parse(request.body).transition.to);
    expect(moves).toEqual(['pending', 'pending', 'pending', 'firing', 'resolved']);
  });

  it('does not send resolutions to a webhook with send_resolved: false', async () => {
    const server = await receiver();
    const { delivery } = deliveryTo({ url: server.url, send_resolved: false });
    delivery.deliver(transitionTo('firing'));
    delivery.deliver(transitionTo('resolved'));
    await delivery.close();
    expect(server.requests.map((request) => JSON.parse(request.body).transition.to)).toEqual(['firing']);
  });

  it('abandons retries still waiting when close() reaches its bound, and says so', async () => {
    const server = await receiver(() => 503);
    const logger = recordingLogger();
    const delivery = new AlertDelivery({
      config: () => monitorConfig({ webhooks: [{ url: server.url, max_attempts: 20 }] }),
      logger,
      retryBaseDelayMs: 10_000,
      closeTimeoutMs: 100,
    });
    delivery.deliver(transitionTo('firing'));
    await logger.waitForLines(1); // the first attempt failed; its retry waits 10 s
    const started = performance.now();
    await delivery.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(server.requests).toHaveLength(1);
    expect(logger.lines.map((line) => line.obj.code ?? line.msg)).toEqual([
      'EK_DELIVERY_HTTP_STATUS',
      'alert delivery: notifications still pending at shutdown are abandoned',
      'EK_DELIVERY_ABANDONED',
    ]);
  });
});
