import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorSchema } from '../../src/config/index.js';
import { buildPrometheusRules } from '../../src/monitor/index.js';
import { freePort, startEvenkeel, startUpstream, type EvenkeelProcess, type TestUpstream } from './support/evenkeel-process.js';

// What Prometheus scrapes from a running node: promtool check metrics accepts it, and every metric
// the exported alerting rules (evenkeel export prometheus-rules) query is in it.

describe("a live node's /metrics", () => {
  let evenkeel: EvenkeelProcess;
  let upstreams: TestUpstream[];
  let metrics: string;

  beforeAll(async () => {
    upstreams = [await startUpstream('web-1'), await startUpstream('web-2')];
    const proxyPort = await freePort();
    const adminPort = await freePort();
    evenkeel = await startEvenkeel(`listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
pools:
  portal:
    backends:
${upstreams.map((upstream) => `      - { id: ${upstream.name}, url: "${upstream.url}" }`).join('\n')}
routes:
  - { match: { path_prefix: "/" }, pool: portal }
`);
    for (let i = 0; i < 10; i++) await (await fetch(`http://127.0.0.1:${proxyPort}/`)).arrayBuffer();
    // Counters reach /metrics on the telemetry tick; poll a bounded number of times.
    for (let attempt = 0; attempt < 50; attempt++) {
      metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      if (/evenkeel_backend_requests_total\{[^}]*code_class="2xx"\} [1-9]/.test(metrics)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }, 30_000);

  afterAll(async () => {
    await evenkeel?.stop();
    await Promise.all((upstreams ?? []).map((upstream) => upstream.close()));
  });

  it('passes promtool check metrics, with no remark about an evenkeel_ family', () => {
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(check.error, 'promtool is missing: apt-get install prometheus (bash .ci/run does this)').toBeUndefined();
    // Exit 3 is lint remarks only; prom-client's default gauges named nodejs_*_total draw them.
    expect([0, 3], check.stdout + check.stderr).toContain(check.status);
    const remarks = (check.stdout + check.stderr).split('\n').filter((line) => line.trim() !== '');
    expect(remarks.filter((remark) => !/^nodejs_\w+ non-counter metrics should not have "_total" suffix$/.test(remark))).toEqual([]);
    expect(metrics).toMatch(/evenkeel_backend_requests_total\{pool="portal",backend="web-1",code_class="2xx"\} [1-9]/);
  });

  it('has every metric the exported Prometheus rules query', () => {
    const exprs = buildPrometheusRules(monitorSchema.parse({})).groups.flatMap((group) => group.rules.map((rule) => rule.expr));
    const queried = new Set(exprs.flatMap((expr) => expr.match(/evenkeel_[a-z_]+/g) ?? []));
    expect(queried.size).toBeGreaterThan(8);
    // The proxy-errors counter appears with its first error; the rules guard it with `or ... * 0`.
    const exported = new Set([...metrics.matchAll(/^# TYPE (evenkeel_\w+) (\w+)/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
    ));
    exported.add('evenkeel_proxy_errors_total');
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  });
});
