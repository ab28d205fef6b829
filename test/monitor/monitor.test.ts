import { afterEach, describe, expect, it, vi } from 'vitest';
import { monitorSchema, type MonitorConfig } from '../../src/config/index.js';
import type { AlertTransition, ContextEvent, RuleFinding } from '../../src/monitor/alert.js';
import { Monitor, type MonitorOptions } from '../../src/monitor/monitor.js';
import { Telemetry } from '../../src/telemetry/index.js';

// The rules are another file's concern: here each tick's findings are set by the test, so what is
// checked is what the Monitor does with them (lifecycle, diagnosis, hand-over, timer).
const rules = vi.hoisted(() => ({ findings: [] as RuleFinding[], calls: [] as number[], error: undefined as Error | undefined }));
vi.mock('../../src/monitor/evaluate-rules.js', () => ({
  RuleState: class {
    traffic() {
      return { rps: 1020, baselineRps: 1000 };
    }
  },
  evaluateRules: (_input: unknown, _config: unknown, _state: unknown, nowMs: number) => {
    rules.calls.push(nowMs);
    if (rules.error !== undefined) throw rules.error;
    return rules.findings;
  },
}));

const at = (hours: number, minutes: number, seconds = 0): number => new Date(2024, 4, 1, hours, minutes, seconds).getTime();

function skew(forMs = 3000): RuleFinding {
  return {
    rule: 'skew',
    severity: 'critical',
    pool: 'portal',
    backend: undefined,
    backends: ['web-1', 'web-2'],
    summary: 'web-1 and web-2 carry 81% of requests, expected 40%.',
    evidence: { observedShare: 0.81, expectedShare: 0.4, pinnedShare: 0.74, persistence: 'cookie' },
    forMs,
  };
}

const diff = ['pools.portal: web-1 weight 100 -> 400', 'pools.portal: web-2 weight 100 -> 400'];
const changeEvents: ContextEvent[] = [
  { at: at(9, 57), kind: 'change.proposed', actor: 'weights.sh', subject: 'change:42', data: { changeId: 42, source: 'automation', diff } },
  { at: at(9, 58), kind: 'change.applied', actor: 'alice', subject: 'change:42', data: { changeId: 42, version: 7, baseVersion: 6, rollbackOf: null, diff } },
];

function monitorWith(overrides: Partial<MonitorOptions> = {}) {
  let config: MonitorConfig = monitorSchema.parse({});
  const handed: string[] = [];
  const eventQueries: number[] = [];
  const monitor = new Monitor({
    telemetry: new Telemetry(),
    pools: () => [],
    inflightOf: () => 0,
    config: () => config,
    recentEvents: async (sinceMs) => {
      eventQueries.push(sinceMs);
      return changeEvents;
    },
    onTransition: async (transition) => {
      handed.push(`${transition.alert.fingerprint} ${transition.from ?? 'new'}->${transition.to}`);
    },
    ...overrides,
  });
  return { monitor, handed, eventQueries, setConfig: (next: Partial<MonitorConfig>) => (config = { ...config, ...next }) };
}

afterEach(() => {
  rules.findings = [];
  rules.calls = [];
  rules.error = undefined;
});

describe('Monitor', () => {
  it('fires a skew after its for time with the diagnosis, reading events only when something fires', async () => {
    const { monitor, handed, eventQueries } = monitorWith();
    rules.findings = [skew()];
    const onset = at(10, 0, 5);
    for (let second = 0; second < 3; second++) await monitor.evaluate(onset + second * 1000);
    expect(handed).toEqual(['skew/portal/* new->pending']);
    expect(eventQueries).toEqual([]);
    const transitions = await monitor.evaluate(onset + 3000);
    expect(transitions.map((transition) => transition.to)).toEqual(['firing']);
    expect(eventQueries).toEqual([onset - 10 * 60_000]);
    expect(transitions[0].alert.summary).toBe(
      "Traffic normal (1,020 rps, baseline 1,000). web-1 and web-2 carry 81% of requests, expected 40%. 74% of their requests are pinned by cookie persistence. Likely cause: change 42 (automation 'weights.sh', 09:58) raised web-1 and web-2 weights 100 -> 400.",
    );
    expect(transitions[0].alert.causes[0]).toMatchObject({ kind: 'config_change', changeId: 42, version: 7 });
    expect(monitor.alerts().map((alert) => alert.state)).toEqual(['firing']);
  });

  it('hands transitions over one at a time, in order, each awaited', async () => {
    const order: string[] = [];
    let isBusy = false;
    const { monitor } = monitorWith({
      onTransition: async (transition: AlertTransition) => {
        expect(isBusy).toBe(false);
        isBusy = true;
        await new Promise<void>((resolve) => setImmediate(resolve));
        order.push(`${transition.alert.pool} ${transition.to}`);
        isBusy = false;
      },
    });
    rules.findings = [skew(0), { ...skew(0), pool: 'api' }];
    await monitor.evaluate(at(10, 0));
    expect(order).toEqual(['portal pending', 'portal firing', 'api pending', 'api firing']);
  });

  it('reads the windows lagMs in the past but dates the alerts now', async () => {
    const { monitor } = monitorWith({ lagMs: 2000 });
    rules.findings = [skew()];
    const [pending] = await monitor.evaluate(50_000);
    expect(rules.calls).toEqual([48_000]);
    expect(pending.alert.startedAt).toBe(50_000);
  });

  it('looks back as far as the auto-rollback window says', async () => {
    const { monitor, eventQueries } = monitorWith({ lookBackMs: () => 60_000 });
    rules.findings = [{ ...skew(0), evidence: { observedShare: 0.81, expectedShare: 0.4 } }];
    const [, firing] = await monitor.evaluate(at(10, 0));
    expect(eventQueries).toEqual([at(9, 59)]);
    expect(firing.alert.summary).toMatch(/No config change or health event in the 1 min before it started\.$/);
  });

  it('still fires, without causes, when the events cannot be read', async () => {
    const warnings: string[] = [];
    const { monitor } = monitorWith({
      recentEvents: async () => {
        throw new Error('store is down');
      },
      logger: { warn: (_obj, msg) => warnings.push(msg), error: () => undefined },
    });
    rules.findings = [skew(0)];
    const transitions = await monitor.evaluate(at(10, 0));
    expect(transitions.map((transition) => transition.to)).toEqual(['pending', 'firing']);
    expect(transitions[1].alert.causes.map((cause) => cause.kind)).toEqual(['persistence']);
    expect(warnings).toHaveLength(1);
  });

  it('evaluates nothing and resolves what was open when monitoring is turned off', async () => {
    const { monitor, handed, setConfig } = monitorWith();
    rules.findings = [skew(0)];
    await monitor.evaluate(at(10, 0));
    setConfig({ enabled: false });
    await monitor.evaluate(at(10, 0, 1));
    await monitor.evaluate(at(10, 0, 2));
    expect(rules.calls).toHaveLength(1);
    expect(handed).toEqual(['skew/portal/* new->pending', 'skew/portal/* pending->firing', 'skew/portal/* firing->resolved']);
    expect(monitor.alerts()).toEqual([]);
    expect(monitor.recent()[0].state).toBe('resolved');
  });

  it('records what auto-rollback did in the alert', async () => {
    const { monitor } = monitorWith();
    rules.findings = [skew(0)];
    await monitor.evaluate(at(10, 0));
    const alert = monitor.addAction('skew/portal/*', { kind: 'rollback', at: at(10, 0, 1), summary: 'rolled back change 42: version 7 restored as version 9 (change 43)', changeId: 42 });
    expect(alert?.summary).toMatch(/weights 100 -> 400\. Rolled back change 42: version 7 restored as version 9 \(change 43\)\.$/);
    // The next tick refreshes the numbers and keeps the action.
    await monitor.evaluate(at(10, 0, 2));
    expect(monitor.alerts()[0].summary).toMatch(/Rolled back change 42/);
    expect(monitor.alerts()[0].actions).toHaveLength(1);
  });

  it('hands every transition over even when one handler fails, then throws the failure', async () => {
    const handed: string[] = [];
    const { monitor } = monitorWith({
      onTransition: async (transition) => {
        handed.push(transition.to);
        if (transition.to === 'pending') throw new Error('store refused');
      },
    });
    rules.findings = [skew(0)];
    await expect(monitor.evaluate(at(10, 0))).rejects.toThrow('store refused');
    expect(handed).toEqual(['pending', 'firing']);
  });

  it('keeps ticking on its timer after a tick throws, logging it once, and stop() waits for a running tick', async () => {
    const errors: string[] = [];
    let ticks = 0;
    let releaseSlowTick: () => void = () => undefined;
    let reachedSlowTick: () => void = () => undefined;
    const slowTickReached = new Promise<void>((resolve) => (reachedSlowTick = resolve));
    rules.error = new Error('bad window');
    const { monitor, setConfig } = monitorWith({
      logger: { warn: () => undefined, error: (_obj, msg) => errors.push(msg) },
      onTransition: async () => {
        ticks++;
        reachedSlowTick();
        await new Promise<void>((resolve) => (releaseSlowTick = resolve));
      },
    });
    setConfig({ interval: 10 });
    monitor.start();
    // Bounded wait for the first failing tick, then let the next ones succeed.
    for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(errors).toHaveLength(1);
    rules.error = undefined;
    rules.findings = [skew()];
    await slowTickReached;
    let isStopped = false;
    const stopped = monitor.stop().then(() => (isStopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(isStopped).toBe(false);
    releaseSlowTick();
    await stopped;
    expect(ticks).toBe(1);
    expect(errors).toHaveLength(1);
  });
});
