import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { monitorSchema } from '../../src/config/index.js';
import { buildPrometheusRules, prometheusRulesYaml } from '../../src/monitor/index.js';

// The exported rules are run by promtool itself on synthetic series (`promtool test rules`): the
// postmortem's skew fires, an even spread stays quiet, a 3x spike is a spike and not a skew, a backend
// that went down three times in five minutes is flapping and one that went down twice is not.

const BACKENDS = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
const SCRAPE_SECONDS = 15;
const STEPS = 200; // 50 minutes of scrapes

function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A counter growing at `rps`, then at `laterRps` from step `changeAt` on. */
function counter(rps: number, laterRps = rps, changeAt = STEPS): string {
  const values: number[] = [];
  let total = 0;
  for (let step = 0; step <= STEPS; step++) {
    values.push(total);
    total += (step < changeAt ? rps : laterRps) * SCRAPE_SECONDS;
  }
  return values.join(' ');
}

/** Series of a healthy pool "portal" of five backends of weight 100, with the given request rates. */
function pool(rpsOf: (backend: string) => [number, number?, number?]): { series: string; values: string }[] {
  return BACKENDS.flatMap((backend) => {
    const labels = `pool="portal",backend="${backend}"`;
    const gauges = [
      ['evenkeel_backend_weight', 100],
      ['evenkeel_backend_effective_weight', 100],
      ['evenkeel_backend_healthy', 1],
      ['evenkeel_backend_draining', 0],
      ['evenkeel_backend_inflight', 1],
    ] as const;
    return [
      { series: `evenkeel_backend_requests_total{${labels},code_class="2xx"}`, values: counter(...rpsOf(backend)) },
      { series: `evenkeel_backend_requests_total{${labels},code_class="5xx"}`, values: counter(0) },
      ...gauges.map(([name, value]) => ({ series: `${name}{${labels}}`, values: `${value}x${STEPS}` })),
    ];
  });
}

function runPromtoolTest(tests: object[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'evenkeel-rules-'));
  writeFileSync(join(dir, 'rules.yml'), prometheusRulesYaml(monitorSchema.parse({})));
  writeFileSync(join(dir, 'test.yml'), stringify({ rule_files: ['rules.yml'], evaluation_interval: `${SCRAPE_SECONDS}s`, tests }));
  const result = spawnSync('promtool', ['test', 'rules', join(dir, 'test.yml')], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('Prometheus rules export', () => {
  it('names the alerts as evenkeel does and takes thresholds and for durations from the config', () => {
    const monitor = monitorSchema.parse({ skew: { max_share_ratio: 2.5, for: '20s' }, latency: { p95_ms: 750 } });
    const rules = buildPrometheusRules(monitor, { scrapeIntervalMs: 15_000 }).groups[0].rules;
    expect([...new Set(rules.map((rule) => rule.alert))]).toEqual([
      'EvenkeelSkew',
      'EvenkeelInflightSkew',
      'EvenkeelLatency',
      'EvenkeelRelativeLatency',
      'EvenkeelErrors',
      'EvenkeelCapacity',
      'EvenkeelFlapping',
      'EvenkeelTrafficSpike',
      'EvenkeelTrafficDrop',
    ]);
    const skew = rules.find((rule) => rule.alert === 'EvenkeelSkew')!;
    expect(skew.expr).toContain('> on (pool, backend) (2.5 * ');
    expect(skew.for).toBe('20s');
    expect(skew.labels).toEqual({ severity: 'critical', rule: 'skew' });
    expect(rules.find((rule) => rule.labels.quantile === '0.95')!.expr).toContain(') > 0.75\n');
  });

  it('never uses a rate() range shorter than four scrapes', () => {
    const monitor = monitorSchema.parse({ traffic: { window: '10s' } });
    expect(buildPrometheusRules(monitor, { scrapeIntervalMs: 15_000 }).groups[0].rules.find((rule) => rule.alert === 'EvenkeelTrafficSpike')!.expr).toContain('[1m]');
    expect(buildPrometheusRules(monitor, { scrapeIntervalMs: 1000 }).groups[0].rules.find((rule) => rule.alert === 'EvenkeelTrafficSpike')!.expr).toContain('[10s]');
  });

  it('passes promtool check rules', () => {
    expect(hasPromtool(), 'promtool is missing: apt-get install prometheus (bash .ci/run does this)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-rules-'));
    writeFileSync(join(dir, 'rules.yml'), prometheusRulesYaml(monitorSchema.parse({})));
    const result = spawnSync('promtool', ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 14 rules found');
  });

  it('fires EvenkeelSkew for the postmortem (2 of 5 backends carry 81%), on exactly those two, and not for an even spread or a 3x spike', () => {
    expect(hasPromtool(), 'promtool is missing: apt-get install prometheus (bash .ci/run does this)').toBe(true);
    const skewOn = (backend: string) => ({
      exp_labels: { severity: 'critical', rule: 'skew', pool: 'portal', backend },
      exp_annotations: {
        summary: `${backend} carries 40.59% of the requests of pool portal, more than 1.5 times its expected share.`,
        description: "Observed share over 1m above 1.5 x the share its effective weight gives it, with at least 200 requests in the pool. evenkeel's own rule also runs a G-test (alpha 0.001) and names the likely cause.",
      },
    });
    const spikeAt = 160; // 40 minutes of 100 rps, then 300 rps
    const result = runPromtoolTest([
      {
        name: 'postmortem',
        interval: `${SCRAPE_SECONDS}s`,
        input_series: pool((backend) => (['web-1', 'web-2'].includes(backend) ? [414] : [64])),
        alert_rule_test: [
          { eval_time: '5m', alertname: 'EvenkeelSkew', exp_alerts: [skewOn('web-1'), skewOn('web-2')] },
          { eval_time: '45m', alertname: 'EvenkeelTrafficSpike', exp_alerts: [] },
        ],
      },
      {
        name: 'even spread',
        interval: `${SCRAPE_SECONDS}s`,
        input_series: pool(() => [204]),
        alert_rule_test: [
          { eval_time: '45m', alertname: 'EvenkeelSkew', exp_alerts: [] },
          { eval_time: '45m', alertname: 'EvenkeelTrafficDrop', exp_alerts: [] },
        ],
      },
      {
        name: 'spike with an even spread',
        interval: `${SCRAPE_SECONDS}s`,
        input_series: pool(() => [20, 60, spikeAt]),
        alert_rule_test: [
          { eval_time: '43m', alertname: 'EvenkeelSkew', exp_alerts: [] },
          {
            eval_time: '43m',
            alertname: 'EvenkeelTrafficSpike',
            exp_alerts: [{ exp_labels: { severity: 'warning', rule: 'traffic_spike' }, exp_annotations: { summary: 'Traffic is 300 rps, more than 2 times its baseline.', description: 'Total request rate over 1m against its average over the last 30m (evenkeel\'s baseline is an EWMA with a half-life of 10m).' } }],
          },
        ],
      },
    ]);
    expect(result.status, result.output).toBe(0);
  });

  it('fires EvenkeelFlapping for a backend that went down 3 times in 5 minutes, not for one that went down twice', () => {
    expect(hasPromtool(), 'promtool is missing: apt-get install prometheus (bash .ci/run does this)').toBe(true);
    const downs = (backend: string, values: string) => ({ series: `evenkeel_backend_health_downs_total{pool="portal",backend="${backend}"}`, values });
    const result = runPromtoolTest([
      {
        name: 'flapping',
        interval: `${SCRAPE_SECONDS}s`,
        // One fall a minute for web-4 (scrapes every 15 s); two falls in all for web-2.
        input_series: [downs('web-4', '0x3 1x3 2x3 3x20'), downs('web-2', '0x3 1x3 2x23'), downs('web-1', '0x32')],
        alert_rule_test: [
          { eval_time: '2m', alertname: 'EvenkeelFlapping', exp_alerts: [] },
          {
            eval_time: '4m',
            alertname: 'EvenkeelFlapping',
            exp_alerts: [
              {
                exp_labels: { severity: 'warning', rule: 'flapping', pool: 'portal', backend: 'web-4' },
                exp_annotations: {
                  summary: 'web-4 of pool portal went down 3 times in 5m: it keeps failing and recovering.',
                  description: 'Falls of one backend (active checks said down, or an outlier ejection began while they passed), as counted by the node that saw the most.',
                },
              },
            ],
          },
        ],
      },
    ]);
    expect(result.status, result.output).toBe(0);
  });
});
