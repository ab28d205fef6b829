import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../integration/support/admin-client.js';
import { startUpstream, type TestUpstream } from '../integration/support/evenkeel-process.js';
import { freshFleetSchema, msUntil, POSTGRES_URL, readMetric, startFleetNode, type FleetNodeProcess } from './fleet-support.js';

// Issue 8: a node that cannot reach the database keeps serving on its last config and says so
// (/healthz `degraded` with HTTP 200, evenkeel_store_up 0), and when the database is back it
// reconnects and catches up on the version it missed. The database "goes away" for one node only: its
// store.url points at a TCP relay to PostgreSQL that the test cuts (every connection reset) and restores.

/** A TCP relay to PostgreSQL that can be cut (open connections destroyed, new ones reset) and restored. */
async function startRelay(target: URL): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let isCut = false;
  const server = net.createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      isCut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      isCut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const fleetSchema = freshFleetSchema();
let relay: Awaited<ReturnType<typeof startRelay>>;
let upstreams: TestUpstream[] = [];
let direct: FleetNodeProcess;
let relayed: FleetNodeProcess;

beforeAll(async () => {
  const postgres = new URL(POSTGRES_URL);
  relay = await startRelay(postgres);
  const relayedUrl = new URL(POSTGRES_URL);
  relayedUrl.host = `127.0.0.1:${relay.port}`;
  upstreams = await Promise.all(['web-1', 'web-2', 'web-3'].map((name) => startUpstream(name)));
  direct = await startFleetNode(`${POSTGRES_URL}?schema=${fleetSchema.schema}`, upstreams);
  relayed = await startFleetNode(`${relayedUrl.toString()}?schema=${fleetSchema.schema}`, upstreams);
}, 60_000);

afterAll(async () => {
  relay?.restore();
  await Promise.all([direct, relayed].map((node) => node?.evenkeel.stop()));
  await Promise.all(upstreams.map((upstream) => upstream.close()));
  await relay?.close();
  await fleetSchema.drop();
});

async function health(node: FleetNodeProcess): Promise<{ status: number; body: { status: string; reasons?: string[] } }> {
  const response = await fetch(`${node.adminUrl}/healthz`);
  return { status: response.status, body: (await response.json()) as { status: string; reasons?: string[] } };
}

describe('a fleet node that loses its database', () => {
  it('keeps serving its last config, says degraded with HTTP 200 and evenkeel_store_up 0, then catches up when the database is back', async () => {
    expect(await health(relayed)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await readMetric(relayed.adminUrl, 'evenkeel_store_up')).toBe(1);

    relay.cut();
    const cutAt = performance.now();
    const degradedMs = await msUntil(async () => (await health(relayed)).body.status === 'degraded', cutAt, 10_000, 50);
    const degraded = await health(relayed);
    expect(degraded.status).toBe(200);
    expect(degraded.body.reasons?.[0]).toMatch(/store .* is unreachable.*serving config version 1/);
    expect(await readMetric(relayed.adminUrl, 'evenkeel_store_up')).toBe(0);

    // A change made meanwhile through the other node cannot reach it; it serves on, on version 1.
    const proposed = await adminCall(direct.adminUrl, 'POST', '/api/v1/changes', { reason: 'web-2 to 150', operations: [{ op: 'set_weight', pool: 'web', backend: 'web-2', weight: 150 }] });
    expect(proposed.status).toBe(201);
    // A change from the API waits for an approver who is not its author: a second admin approves it.
    const second = await adminCall(direct.adminUrl, 'POST', '/api/v1/tokens', { name: 'second-admin', role: 'admin' });
    const approve = await fetch(`${direct.adminUrl}/api/v1/changes/${proposed.body.id}/approve`, { method: 'POST', headers: { authorization: `Bearer ${second.body.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(approve.status).toBe(200);
    const applied = await adminCall(direct.adminUrl, 'POST', `/api/v1/changes/${proposed.body.id}/apply`, {});
    expect(applied.body.status, JSON.stringify(applied.body)).toBe('applied');
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${relayed.proxyUrl}/`);
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    }
    expect(await readMetric(relayed.adminUrl, 'evenkeel_config_version')).toBe(1);

    relay.restore();
    const restoredAt = performance.now();
    const caughtUpMs = await msUntil(async () => (await readMetric(relayed.adminUrl, 'evenkeel_backend_weight', { pool: 'web', backend: 'web-2' })) === 150, restoredAt, 15_000, 50);
    await msUntil(async () => (await health(relayed)).body.status === 'ok', restoredAt, 10_000, 50);
    expect(await readMetric(relayed.adminUrl, 'evenkeel_store_up')).toBe(1);
    expect(await readMetric(relayed.adminUrl, 'evenkeel_config_version')).toBe(applied.body.appliedVersion);
    console.log(`store down: degraded ${degradedMs.toFixed(0)} ms after the cut; caught up on version ${applied.body.appliedVersion} ${caughtUpMs.toFixed(0)} ms after the database was back`);
  });
});
