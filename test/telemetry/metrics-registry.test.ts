import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { Telemetry, createMetricsRegistry } from '../../src/telemetry/index.js';

const T0 = 1_700_000_000_000;

function portal() {
  const web1 = new BackendState('portal', 'web-1', 'http://127.0.0.1:8001', 100);
  const web2 = new BackendState('portal', 'web-2', 'http://127.0.0.1:8002', 50);
  web2.effectiveWeight = 0;
  web2.isHealthy = false;
  web1.inflight = 2;
  const members = new PoolMembers('portal', [web1, web2]);
  return { web1, web2, members };
}

/** The value of one sample line, found by its exact name and label set as written. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

describe('createMetricsRegistry', () => {
  it('exposes request, latency, byte and persistence counters read from telemetry at scrape time', async () => {
    const telemetry = new Telemetry({ now: () => T0 });
    const { web1, members } = portal();
    telemetry.recordRequest(web1, 200, 3, 100, 1000, true, false);
    telemetry.recordRequest(web1, 200, 40, 100, 1000, false, true);
    telemetry.recordRequest(web1, 502, 20_000, 0, 0, false, false);
    telemetry.recordProxyError('portal', 'EK_NO_HEALTHY_BACKEND');
    const registry = createMetricsRegistry(telemetry, () => [{ members }]);
    const text = await registry.metrics();

    expect(sample(text, 'evenkeel_backend_requests_total{pool="portal",backend="web-1",code_class="2xx"}')).toBe(2);
    expect(sample(text, 'evenkeel_backend_requests_total{pool="portal",backend="web-1",code_class="5xx"}')).toBe(1);
    expect(sample(text, 'evenkeel_backend_requests_total{pool="portal",backend="web-2",code_class="2xx"}')).toBe(0);
    expect(sample(text, 'evenkeel_backend_request_duration_seconds_bucket{pool="portal",backend="web-1",le="0.005"}')).toBe(1);
    expect(sample(text, 'evenkeel_backend_request_duration_seconds_bucket{pool="portal",backend="web-1",le="0.05"}')).toBe(2);
    expect(sample(text, 'evenkeel_backend_request_duration_seconds_bucket{pool="portal",backend="web-1",le="10"}')).toBe(2);
    expect(sample(text, 'evenkeel_backend_request_duration_seconds_bucket{pool="portal",backend="web-1",le="+Inf"}')).toBe(3);
    expect(sample(text, 'evenkeel_backend_request_duration_seconds_count{pool="portal",backend="web-1"}')).toBe(3);
    expect(sample(text, 'evenkeel_backend_request_duration_seconds_sum{pool="portal",backend="web-1"}')).toBeCloseTo(20.043, 9);
    expect(sample(text, 'evenkeel_backend_bytes_received_total{pool="portal",backend="web-1"}')).toBe(200);
    expect(sample(text, 'evenkeel_backend_bytes_sent_total{pool="portal",backend="web-1"}')).toBe(2000);
    expect(sample(text, 'evenkeel_backend_persistence_pinned_total{pool="portal",backend="web-1"}')).toBe(1);
    expect(sample(text, 'evenkeel_backend_persistence_spilled_total{pool="portal",backend="web-1"}')).toBe(1);
    expect(sample(text, 'evenkeel_proxy_errors_total{pool="portal",code="EK_NO_HEALTHY_BACKEND"}')).toBe(1);
    expect(text).toContain('# TYPE evenkeel_backend_request_duration_seconds histogram');
    expect(text).toContain('process_cpu_user_seconds_total');

    telemetry.recordRequest(web1, 200, 3, 0, 0, false, false);
    expect(sample(await registry.metrics(), 'evenkeel_backend_requests_total{pool="portal",backend="web-1",code_class="2xx"}')).toBe(3);
  });

  it('exposes health, weights, in-flight and panic from the live pools', async () => {
    const telemetry = new Telemetry({ now: () => T0 });
    const { members } = portal();
    members.isPanicking = true;
    members.backends[1].healthDowns = 3;
    const text = await createMetricsRegistry(telemetry, () => [{ members }]).metrics();
    expect(sample(text, 'evenkeel_backend_healthy{pool="portal",backend="web-1"}')).toBe(1);
    expect(sample(text, 'evenkeel_backend_healthy{pool="portal",backend="web-2"}')).toBe(0);
    expect(sample(text, 'evenkeel_backend_health_downs_total{pool="portal",backend="web-2"}')).toBe(3);
    expect(sample(text, 'evenkeel_backend_health_downs_total{pool="portal",backend="web-1"}')).toBe(0);
    expect(sample(text, 'evenkeel_backend_weight{pool="portal",backend="web-2"}')).toBe(50);
    expect(sample(text, 'evenkeel_backend_effective_weight{pool="portal",backend="web-2"}')).toBe(0);
    expect(sample(text, 'evenkeel_backend_inflight{pool="portal",backend="web-1"}')).toBe(2);
    expect(sample(text, 'evenkeel_pool_panic{pool="portal"}')).toBe(1);
  });

  it('reads in-flight from worker reports once a worker has reported', async () => {
    const primary = new Telemetry({ now: () => T0 });
    const worker = new Telemetry({ now: () => T0 });
    const workerWeb1 = new BackendState('portal', 'web-1', 'http://x', 100);
    workerWeb1.inflight = 9;
    worker.trackBackends([workerWeb1]);
    primary.mergeDelta(JSON.parse(JSON.stringify(worker.drainDelta())), 1);
    const { members } = portal(); // the primary's own BackendState says 2: it serves no traffic in cluster mode
    const text = await createMetricsRegistry(primary, () => [{ members }]).metrics();
    expect(sample(text, 'evenkeel_backend_inflight{pool="portal",backend="web-1"}')).toBe(9);
    expect(sample(text, 'evenkeel_backend_inflight{pool="portal",backend="web-2"}')).toBe(0);
  });

  it('escapes label values so odd pool and code names keep the exposition valid', async () => {
    const telemetry = new Telemetry({ now: () => T0 });
    telemetry.recordProxyError('portal', 'a "quoted"\\code\nline');
    const text = await createMetricsRegistry(telemetry, () => []).metrics();
    expect(text).toContain('evenkeel_proxy_errors_total{pool="portal",code="a \\"quoted\\"\\\\code\\nline"} 1');
  });

  it('passes promtool check metrics: our families without a lint remark, the whole exposition without an error', async () => {
    // .ci/run installs promtool (Debian package prometheus); without it this test fails rather than pass unchecked.
    expect(hasPromtool(), 'promtool is missing: apt-get install prometheus (bash .ci/run does this)').toBe(true);
    const telemetry = new Telemetry({ now: () => T0 });
    const { web1, members } = portal();
    telemetry.recordRequest(web1, 200, 3, 100, 1000, true, false);
    telemetry.recordProxyError('portal', 'EK_QUEUE_FULL');
    const text = await createMetricsRegistry(telemetry, () => [{ members }]).metrics();

    const ours = text
      .split('\n\n')
      .filter((family) => family.includes('# TYPE evenkeel_'))
      .join('\n\n');
    expect(ours.match(/# TYPE evenkeel_/g)).toHaveLength(14);
    const strict = spawnSync('promtool', ['check', 'metrics'], { input: `${ours}\n`, encoding: 'utf8' });
    expect(strict.stdout + strict.stderr).toBe('');
    expect(strict.status).toBe(0);

    // prom-client's default metrics draw lint remarks (exit 3) for three gauges named *_total; a
    // parse error (exit 1) or a remark about any other family fails.
    const whole = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const remarks = (whole.stdout + whole.stderr).split('\n').filter((line) => line.trim() !== '');
    expect([0, 3]).toContain(whole.status);
    for (const remark of remarks) expect(remark).toMatch(/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/);
  });
});
