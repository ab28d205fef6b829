import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertDelivery } from '../../../src/monitor/notifiers/index.js';
import { monitorConfig, recordingLogger, skewAlert, transitionTo } from './delivery-fixture.js';

// The Alertmanager path against a real Alertmanager (Debian package prometheus-alertmanager, which
// .ci/run installs) on 127.0.0.1, with a null receiver, clustering off and storage in a temp dir.

const BINARIES = ['prometheus-alertmanager', 'alertmanager'];
const POLL_INTERVAL_MS = 100;
const POLL_LIMIT = 100;

interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

function findAlertmanager(): string | undefined {
  return BINARIES.find((binary) => spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0);
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Asks `probe` up to POLL_LIMIT times, POLL_INTERVAL_MS apart, until it returns a value. */
async function poll<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < POLL_LIMIT; attempt++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`gave up waiting for ${what} after ${POLL_LIMIT} polls`);
}

describe('delivery to a real Alertmanager', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  let baseUrl: string;
  let output = '';

  beforeAll(async () => {
    const binary = findAlertmanager();
    expect(binary, 'Alertmanager is missing: apt-get install prometheus-alertmanager (bash .ci/run does this)').toBeDefined();
    dir = mkdtempSync(join(tmpdir(), 'evenkeel-alertmanager-'));
    writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(binary!, [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await poll(`Alertmanager to be ready at ${baseUrl}\n${output}`, async () => ((await fetch(`${baseUrl}/-/ready`)).ok ? true : undefined));
  }, 20_000);

  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function listedSkewAlert(): Promise<ListedAlert | undefined> {
    const response = await fetch(`${baseUrl}/api/v2/alerts?filter=${encodeURIComponent('alertname="EvenkeelSkew"')}`);
    const alerts = (await response.json()) as ListedAlert[];
    return alerts.find((alert) => alert.labels.instance === 'node-test');
  }

  it('shows a firing alert with our labels and annotations, and resolves it when the resolution arrives with endsAt', async () => {
    const logger = recordingLogger();
    const delivery = new AlertDelivery({ config: () => monitorConfig({ alertmanagers: [{ url: baseUrl }] }), logger, instance: 'node-test' });
    const firing = transitionTo('firing', { startedAt: Date.now() - 5000, firingAt: Date.now() - 2000, resolvedAt: undefined });
    delivery.deliver(firing);
    delivery.resend([firing.alert]);

    const active = await poll('the firing alert in GET /api/v2/alerts', async () => {
      const alert = await listedSkewAlert();
      return alert?.status.state === 'active' ? alert : undefined;
    });
    expect(active.labels).toEqual({ alertname: 'EvenkeelSkew', rule: 'skew', severity: 'critical', instance: 'node-test', pool: 'portal' });
    expect(active.annotations.summary).toBe(skewAlert('firing').summary);
    expect(active.annotations.description).toContain('Likely causes:');
    expect(active.annotations.likely_cause).toContain('change 42');
    expect(Date.parse(active.startsAt)).toBe(firing.alert.firingAt);
    expect(Date.parse(active.endsAt)).toBeGreaterThan(Date.now());

    const resolvedAt = Date.now();
    delivery.deliver({ ...transitionTo('resolved', { startedAt: firing.alert.startedAt, firingAt: firing.alert.firingAt, resolvedAt }), at: resolvedAt });
    // Alertmanager lists only unresolved alerts: a resolved one leaves the list.
    await poll('the alert to leave the active list', async () => {
      const alert = await listedSkewAlert();
      return alert === undefined || alert.status.state !== 'active' ? true : undefined;
    });
    await delivery.close();
    expect(logger.lines).toEqual([]);
  });
});
