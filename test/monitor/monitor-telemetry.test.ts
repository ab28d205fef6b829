import { describe, expect, it } from 'vitest';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { monitorSchema, parseConfigText } from '../../src/config/index.js';
import type { AlertTransition, ContextEvent } from '../../src/monitor/alert.js';
import { Monitor } from '../../src/monitor/monitor.js';
import { Telemetry } from '../../src/telemetry/index.js';

// The Monitor end to end on a real Telemetry and the real rules, with an injected clock: the
// postmortem's counts (two of five backends carrying 81%, mostly pinned by cookies, at normal
// traffic) after an automation's weight change.

const CONFIG = parseConfigText(
  `
pools:
  portal:
    persistence: { by: cookie, bound: 1.25 }
    backends:
      - { id: web-1, url: "http://10.0.0.11:8000", weight: 100 }
      - { id: web-2, url: "http://10.0.0.12:8000", weight: 100 }
      - { id: web-3, url: "http://10.0.0.13:8000", weight: 100 }
      - { id: web-4, url: "http://10.0.0.14:8000", weight: 100 }
      - { id: web-5, url: "http://10.0.0.15:8000", weight: 100 }
`,
  'portal.yaml',
);

const at = (hours: number, minutes: number, seconds = 0): number => new Date(2024, 4, 1, hours, minutes, seconds).getTime();

describe('Monitor on real telemetry', () => {
  it('fires the postmortem skew within its for time of pending, diagnosed, with transitions awaited in order', async () => {
    let clockMs = at(9, 57);
    const telemetry = new Telemetry({ now: () => clockMs });
    const backends = CONFIG.pools.portal.backends.map((backend) => new BackendState('portal', backend.id, backend.url, backend.weight));
    const members = new PoolMembers('portal', backends);
    const config = monitorSchema.parse({});
    const changeAppliedAt = at(9, 58, 30);
    const diff = ['pools.portal: web-1 weight 100 -> 400', 'pools.portal: web-2 weight 100 -> 400'];
    const events: ContextEvent[] = [
      { at: changeAppliedAt - 20_000, kind: 'change.proposed', actor: 'weights.sh', subject: 'change:42', data: { changeId: 42, source: 'automation', diff } },
      { at: changeAppliedAt, kind: 'change.applied', actor: 'alice', subject: 'change:42', data: { changeId: 42, version: 7, baseVersion: 6, rollbackOf: null, diff } },
    ];
    const handed: AlertTransition[] = [];
    let inHandler = 0;
    let maxConcurrentHandlers = 0;
    const monitor = new Monitor({
      telemetry,
      pools: () => [{ members, config: CONFIG.pools.portal }],
      inflightOf: (_pool, backend) => backend.inflight,
      config: () => config,
      recentEvents: async (sinceMs) => events.filter((event) => event.at >= sinceMs),
      onTransition: async (transition) => {
        inHandler++;
        maxConcurrentHandlers = Math.max(maxConcurrentHandlers, inHandler);
        await new Promise<void>((resolve) => setImmediate(resolve));
        handed.push(transition);
        inHandler--;
      },
      now: () => clockMs,
    });

    /** One second of traffic: requests per backend, and how many of them persistence pinned. */
    const second = (perBackend: readonly number[], pinnedPerBackend: readonly number[]) => {
      const startMs = clockMs;
      backends.forEach((backend, index) => {
        for (let i = 0; i < perBackend[index]; i++) {
          clockMs = startMs + Math.floor((i * 1000) / perBackend[index]);
          telemetry.recordRequest(backend, 200, 20, 500, 2000, i < pinnedPerBackend[index], false);
        }
      });
      clockMs = startMs + 1000;
    };

    // 90 s of even traffic at 1,000 rps: the baseline learns, nothing fires.
    while (clockMs < changeAppliedAt) {
      second([200, 200, 200, 200, 200], [100, 100, 100, 100, 100]);
      expect(await monitor.evaluate()).toEqual([]);
    }
    // The change: two of five carry 81%, 74% of their requests pinned (bounded: 30 s).
    let pendingAt: number | undefined;
    let firing: AlertTransition | undefined;
    for (let s = 0; s < 30 && firing === undefined; s++) {
      second([413, 413, 65, 65, 65], [306, 306, 20, 20, 20]);
      for (const transition of await monitor.evaluate()) {
        if (transition.alert.rule !== 'skew') continue;
        if (transition.to === 'pending') pendingAt = transition.at;
        if (transition.to === 'firing') firing = transition;
      }
    }
    expect(pendingAt).toBeDefined();
    expect(firing).toBeDefined();
    expect(firing!.at - pendingAt!).toBe(config.skew.for);
    expect(firing!.at - changeAppliedAt).toBeLessThanOrEqual(30_000);
    expect(firing!.alert.summary).toMatch(
      /^Traffic normal \(1,0\d\d rps, baseline [\d,]+\)\. web-1 and web-2 carry \d\d% of requests, expected 40%\. \d\d% of their requests are pinned by cookie persistence\. Likely cause: change 42 \(automation 'weights\.sh', 09:58\) raised web-1 and web-2 weights 100 -> 400\.$/,
    );
    expect(firing!.alert.causes[0]).toMatchObject({ kind: 'config_change', changeId: 42 });
    expect(monitor.alerts().map((alert) => `${alert.fingerprint} ${alert.state}`)).toContain('skew/portal/* firing');
    expect(maxConcurrentHandlers).toBe(1);
    // Handed over in the order they happened, each once.
    const skewMoves = handed.filter((transition) => transition.alert.fingerprint === 'skew/portal/*').map((transition) => transition.to);
    expect(skewMoves).toEqual(['pending', 'firing']);
    expect(handed.map((transition) => transition.at)).toEqual([...handed.map((transition) => transition.at)].sort((a, b) => a - b));
    // Once the window holds only the skewed traffic, the firing alert's numbers are the postmortem's.
    for (let s = 0; s < 30; s++) {
      second([413, 413, 65, 65, 65], [306, 306, 20, 20, 20]);
      await monitor.evaluate();
    }
    expect(monitor.alerts().find((alert) => alert.rule === 'skew')?.summary).toMatch(
      /^Traffic normal \(1,021 rps, baseline [\d,]+\)\. web-1 and web-2 carry 81% of requests, expected 40%\. 74% of their requests are pinned by cookie persistence\. Likely cause: change 42 /,
    );
    await monitor.stop();
  });

  it('reports a 3x even spike as a spike with requests evenly spread, and no skew', async () => {
    let clockMs = at(11, 0);
    const telemetry = new Telemetry({ now: () => clockMs });
    const backends = CONFIG.pools.portal.backends.map((backend) => new BackendState('portal', backend.id, backend.url, backend.weight));
    const members = new PoolMembers('portal', backends);
    const config = monitorSchema.parse({});
    const monitor = new Monitor({
      telemetry,
      pools: () => [{ members, config: CONFIG.pools.portal }],
      inflightOf: (_pool, backend) => backend.inflight,
      config: () => config,
      recentEvents: async () => [],
      onTransition: async () => undefined,
      now: () => clockMs,
    });
    const second = (perBackend: number) => {
      const startMs = clockMs;
      for (const backend of backends) {
        for (let i = 0; i < perBackend; i++) {
          clockMs = startMs + Math.floor((i * 1000) / perBackend);
          telemetry.recordRequest(backend, 200, 20, 500, 2000, i % 2 === 0, false);
        }
      }
      clockMs = startMs + 1000;
    };
    for (let s = 0; s < 90; s++) {
      second(200);
      expect(await monitor.evaluate()).toEqual([]);
    }
    const rules = new Set<string>();
    let spike: AlertTransition | undefined;
    for (let s = 0; s < 40 && spike === undefined; s++) {
      second(600);
      for (const transition of await monitor.evaluate()) {
        rules.add(transition.alert.rule);
        if (transition.to === 'firing' && transition.alert.rule === 'traffic_spike') spike = transition;
      }
    }
    expect(spike?.alert.summary).toMatch(/^Traffic spike: 3,000 rps, 3\.0x the baseline of 1,0\d\d rps; requests stay evenly spread\.$/);
    expect([...rules]).toEqual(['traffic_spike']);
    await monitor.stop();
  });
});
