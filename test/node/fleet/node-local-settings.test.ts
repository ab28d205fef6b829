import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { isSameSharedConfig, localizeConfig, withNodeLocalSettingsOf } from '../../../src/node/fleet/node-local-settings.js';

const nodeFile = (proxyPort: number, adminPort: number, weight = 100, extra = '') =>
  parseConfigText(
    `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
store: { url: "postgres://evenkeel@db/evenkeel" }
${extra}pools:
  web:
    backends:
      - { id: web-1, url: "http://10.0.0.11:8000", weight: ${weight} }
      - { id: web-2, url: "http://10.0.0.12:8000", weight: 100 }
`,
    'evenkeel.yaml',
  );

describe('node-local settings of a fleet', () => {
  it("serves the fleet's pools on the node's own listen, admin, workers and store", () => {
    const shared = nodeFile(8081, 9091, 300);
    const mine = nodeFile(8082, 9092, 100, 'workers: 2\n');
    const served = localizeConfig(shared, mine);
    expect(served.listen).toEqual(mine.listen);
    expect(served.admin).toEqual(mine.admin);
    expect(served.workers).toBe(2);
    expect(served.pools.web!.backends[0]!.weight).toBe(300);
  });

  it('takes demo upstreams from the node, and drops the shared ones when the node has none', () => {
    const shared = nodeFile(8081, 9091, 100, 'demo: { upstreams: [{ port: 7001 }] }\n');
    expect(localizeConfig(shared, nodeFile(8082, 9092)).demo).toBeUndefined();
  });

  it('calls two node files the same shared config when only their ports differ, and different when a weight does', () => {
    expect(isSameSharedConfig(nodeFile(8082, 9092), nodeFile(8081, 9091))).toBe(true);
    expect(isSameSharedConfig(nodeFile(8082, 9092, 150), nodeFile(8081, 9091))).toBe(false);
  });

  it("proposes a node's file with the live version's node-local settings, so its ports never become the fleet's", () => {
    const live = nodeFile(8081, 9091);
    const proposed = withNodeLocalSettingsOf(nodeFile(8082, 9092, 150), live);
    expect(proposed.listen).toEqual(live.listen);
    expect(proposed.admin).toEqual(live.admin);
    expect(proposed.pools.web!.backends[0]!.weight).toBe(150);
  });
});
