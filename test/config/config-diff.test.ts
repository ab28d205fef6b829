import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeConfigChanges, parseConfigText, type Config } from '../../src/config/index.js';

const BASE = `
pools:
  portal:
    persistence: { by: cookie, bound: 1.25 }
    health: { path: /healthz, interval: 2s }
    backends:
      - { id: web-1, url: "http://10.0.0.11:8000", weight: 100 }
      - { id: web-2, url: "http://10.0.0.12:8000", weight: 100 }
      - { id: web-3, url: "http://10.0.0.13:8000", weight: 100 }
  static:
    backends:
      - { id: st-1, url: "http://10.0.0.21:8000" }
routes:
  - { match: { host: portal.example.com }, pool: portal }
  - { pool: static }
`;

const load = (text: string): Config => parseConfigText(text, 'test.yaml');
const base = (): Config => load(BASE);

describe('describeConfigChanges', () => {
  it('names a changed cookie secret without showing either value, since the diff is kept in the audit log', () => {
    const before = base();
    const after = structuredClone(before);
    before.proxy.cookie_secret = 'old-secret-value-0123456789';
    after.proxy.cookie_secret = 'new-secret-value-9876543210';
    const lines = describeConfigChanges(before, after);
    expect(lines).toEqual(['proxy.cookie_secret changed (new value; secret, not shown)']);
    expect(lines.join('\n')).not.toMatch(/secret-value/);
  });

  it('says nothing about two identical configs', () => {
    expect(describeConfigChanges(base(), base())).toEqual([]);
  });

  it('names a weight change with both weights', () => {
    const after = base();
    after.pools.portal.backends[0].weight = 400;
    expect(describeConfigChanges(base(), after)).toEqual(['pools.portal: web-1 weight 100 -> 400']);
  });

  it('describes persistence turned off with the bound it had', () => {
    const after = base();
    after.pools.portal.persistence.by = 'none';
    expect(describeConfigChanges(base(), after)).toEqual(['pools.portal: persistence cookie bound 1.25 -> none']);
  });

  it('names added, removed and drained backends, an algorithm change and a new pool, in a stable order', () => {
    const after = base();
    after.pools.portal.algorithm = 'hash';
    after.pools.portal.backends[1].drain = true;
    after.pools.portal.backends.splice(2, 1);
    after.pools.portal.backends.push({ id: 'web-6', url: 'http://10.0.0.16:8000', weight: 100, drain: false });
    after.pools.api = structuredClone(after.pools.static);
    after.pools.api.backends = [
      { id: 'api-1', url: 'http://10.0.0.31:8000', weight: 100, drain: false },
      { id: 'api-2', url: 'http://10.0.0.32:8000', weight: 100, drain: false },
    ];
    after.routes.push({ match: { path_prefix: '/api/' }, pool: 'api' });
    after.pools.portal.health.interval = 5000;
    expect(describeConfigChanges(base(), after)).toEqual([
      'pools.api added (2 backends)',
      'pools.portal: algorithm round-robin -> hash',
      'pools.portal.health.interval 2s -> 5s',
      'pools.portal: web-2 drained',
      'pools.portal: web-3 removed',
      'pools.portal: web-6 added (http://10.0.0.16:8000, weight 100)',
      'routes: 2 -> 3 rules',
    ]);
  });

  it('names a removed pool and a changed route target', () => {
    const after = base();
    after.routes[1].pool = 'portal';
    expect(describeConfigChanges(base(), after)).toEqual(['routes[1].pool static -> portal']);
    const fewer = base();
    delete (fewer.pools as Record<string, unknown>).static;
    expect(describeConfigChanges(base(), fewer)).toContain('pools.static removed');
  });

  it('gives exactly one line naming the backend and both weights for any single weight change', () => {
    const ids = ['web-1', 'web-2', 'web-3'];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 10_000 }).filter((w) => w !== 100), (index, weight) => {
        const after = base();
        after.pools.portal.backends[index].weight = weight;
        const lines = describeConfigChanges(base(), after);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(ids[index]);
        expect(lines[0]).toContain(`100 -> ${weight}`);
        expect(describeConfigChanges(after, structuredClone(after))).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
