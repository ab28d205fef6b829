import { describe, expect, it } from 'vitest';
import { retireSnapshot } from '../../src/proxy/index.js';
import { makeSnapshot, parseConfig } from './fixture.js';

function config(backends: { id: string; url: string; weight?: number; drain?: boolean; max_inflight?: number }[]) {
  return parseConfig({ pools: { web: { max_inflight: 7, backends } } });
}

describe('snapshot', () => {
  it('reuses backend state, pool members and upstream pools across a reload', async () => {
    const first = makeSnapshot(config([{ id: 'a', url: 'http://127.0.0.1:1' }, { id: 'b', url: 'http://127.0.0.1:2' }]));
    const a = first.pools.get('web')!.members.backends[0];
    a.inflight = 3;
    a.isHealthy = false;
    const upstreamA = first.pools.get('web')!.upstreams[0];

    const second = makeSnapshot(config([{ id: 'a', url: 'http://127.0.0.1:1', weight: 50, drain: true }, { id: 'c', url: 'http://127.0.0.1:3', max_inflight: 2 }]), first);
    const web = second.pools.get('web')!;
    expect(web.members).toBe(first.pools.get('web')!.members);
    expect(web.members.backends[0]).toBe(a);
    expect(a).toMatchObject({ inflight: 3, isHealthy: false, weight: 50, effectiveWeight: 50, isDraining: true, maxInflight: 7, index: 0 });
    expect(web.members.backends[1]).toMatchObject({ id: 'c', maxInflight: 2, effectiveWeight: 100, index: 1 });
    expect(web.upstreams[0]).toBe(upstreamA);
    expect(second.upstreamOf.get(a)).toBe(upstreamA);
    expect(web.queue).toBe(first.pools.get('web')!.queue);

    // b's upstream is used by no one any more: retiring the old snapshot closes it, and only it.
    const upstreamB = first.pools.get('web')!.upstreams[1];
    await retireSnapshot(first, second);
    expect(upstreamB.dispatcher.closed).toBe(true);
    expect(upstreamA.dispatcher.closed).toBe(false);
    await retireSnapshot(second, undefined);
  });

  it('rejects a route to a pool that does not exist with a stable code', () => {
    const bad = parseConfig({ pools: { web: { backends: [{ id: 'a', url: 'http://127.0.0.1:1' }] } }, routes: [{ match: {}, pool: 'nope' }] });
    expect(() => makeSnapshot(bad)).toThrow(expect.objectContaining({ code: 'EK_PROXY_ROUTE_POOL_UNKNOWN' }));
  });
});
