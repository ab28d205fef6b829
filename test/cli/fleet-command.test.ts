import { describe, expect, it } from 'vitest';
import type { FleetStatus } from '../../src/admin/index.js';
import { renderFleetStatus } from '../../src/cli/fleet-command.js';

const NOW = Date.UTC(2026, 10, 29, 10, 0, 0);

function node(id: string, state: 'live' | 'stale' | 'gone', configVersion: number, ageMs: number, rps: number | null, isLeader = false) {
  return { id, hostname: id.split(':')[0]!, adminUrl: `http://${id}`, startedAt: NOW - 60_000, lastSeenAt: NOW - ageMs, heartbeatAgeMs: ageMs, state, configVersion, requestsPerSecond: rps, isLeader };
}

const self = { id: 'lb1:9090', hostname: 'lb1', adminUrl: 'http://lb1:9090', startedAt: NOW - 60_000, configVersion: 7, isStoreUp: true, storeDownSince: null, storeError: null, lastSwap: null, isLeader: false };

describe('evenkeel fleet status', () => {
  it('marks the node that serves an older version than the live nodes, and this node', () => {
    const status: FleetStatus = {
      isFleet: true,
      store: 'postgres://evenkeel:***@db/evenkeel',
      self,
      nodes: [node('lb1:9090', 'live', 7, 400, 412.3), node('lb2:9090', 'live', 7, 1100, 398.9, true), node('lb3:9090', 'stale', 6, 8200, null)],
    };
    const text = renderFleetStatus(status, NOW);
    expect(text).toContain('(3 nodes)');
    expect(text).toMatch(/lb1:9090 \(this\)\s+live\s+7\s+0\.4 s ago\s+412\.3/);
    expect(text).toMatch(/lb3:9090\s+stale\s+6 \*\s+8\.2 s ago\s+-/);
    expect(text).not.toMatch(/lb2:9090\s+live\s+7 \*/);
    // The node that evaluates the monitor for the fleet, and only that one.
    expect(text).toMatch(/lb2:9090\s+live.*http:\/\/lb2:9090\s+leader/);
    expect(text.match(/leader/g)).toHaveLength(1);
  });

  it('says when the node asked cannot reach the store, and which version it serves meanwhile', () => {
    const cutOff = { ...self, isStoreUp: false, storeDownSince: NOW - 12_000, storeError: 'connect ECONNREFUSED 10.0.0.5:5432' };
    const text = renderFleetStatus({ isFleet: true, store: 'postgres://db/evenkeel', self: cutOff, nodes: [] }, NOW);
    expect(text).toContain('No node is registered.');
    expect(text).toContain('cannot reach the store since 2026-11-29T09:59:48Z (connect ECONNREFUSED 10.0.0.5:5432); it serves version 7');
  });

  it('calls a node on a SQLite store a fleet of one', () => {
    expect(renderFleetStatus({ isFleet: false, store: 'sqlite://./data/evenkeel.db', self: null, nodes: [] })).toMatch(/a fleet of one/);
  });
});
