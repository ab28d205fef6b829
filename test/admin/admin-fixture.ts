import type { RouteOptions } from 'fastify';
import { BackendState, PoolMembers } from '../../src/balance/index.js';
import { parseConfigText, type Config } from '../../src/config/index.js';
import { createChangeService, createToken, openStore, simulateImpact, type Store, type TokenRole } from '../../src/control/index.js';
import type { ChangeService } from '../../src/control/index.js';
import { Telemetry, createMetricsRegistry } from '../../src/telemetry/index.js';
import { startAdminServer, type AdminPoolSource, type AdminServer } from '../../src/admin/index.js';

// A real admin server on 127.0.0.1 with a real store (SQLite in memory), a real change service and a
// token of every role. `live` follows what the change service applied, as the node's data plane would.

export const FIXTURE_YAML = `listen: { http: "127.0.0.1:18080" }
pools:
  web:
    algorithm: round-robin
    backends:
      - { id: web-1, url: "http://127.0.0.1:18081", weight: 100 }
      - { id: web-2, url: "http://127.0.0.1:18082", weight: 100 }
      - { id: web-3, url: "http://127.0.0.1:18083", weight: 100 }
      - { id: web-4, url: "http://127.0.0.1:18084", weight: 100 }
routes:
  - { match: { path_prefix: "/" }, pool: web }
`;

export const ROLES: TokenRole[] = ['viewer', 'operator', 'approver', 'automation', 'admin'];

export interface AdminFixture {
  base: string;
  server: AdminServer;
  store: Store;
  changes: ChangeService;
  routes: RouteOptions[];
  /** Token text by role; each token is named after its role. */
  tokens: Record<TokenRole, string>;
  /** Versions the change service swapped to, in order. */
  applied: number[];
  live: { config: Config; version: number };
  /** fetch with `Authorization: Bearer` for `role` (or no header when role is undefined). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test bodies are checked field by field
  call(method: string, path: string, options?: { role?: TokenRole; token?: string; body?: unknown; rawBody?: string }): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** `yaml` replaces FIXTURE_YAML as version 1; it must keep the pool `web`. */
export async function startAdminFixture(options: { statsIntervalMs?: number; roles?: TokenRole[]; yaml?: string } = {}): Promise<AdminFixture> {
  const store = await openStore('sqlite::memory:');
  const yaml = options.yaml ?? FIXTURE_YAML;
  const config = parseConfigText(yaml, 'fixture.yaml');
  const applied: number[] = [];
  const live = { config, version: 0 };
  const changes = await createChangeService({
    store,
    applyLive: (next, version) => {
      live.config = next;
      live.version = version;
      applied.push(version);
    },
    simulate: (current, proposed, { maxShareRatio }) => simulateImpact(current, proposed, [], { maxShareRatio }),
    initialConfig: { config, configYaml: yaml },
  });
  live.version = changes.liveVersion();
  const tokens = {} as Record<TokenRole, string>;
  for (const role of options.roles ?? ROLES) tokens[role] = (await createToken(store, { name: role, role, createdBy: 'test' })).token;

  const telemetry = new Telemetry();
  const members = new PoolMembers(
    'web',
    config.pools.web!.backends.map((backend) => new BackendState('web', backend.id, backend.url, backend.weight)),
  );
  const pools: AdminPoolSource[] = [{ name: 'web', config: { algorithm: 'round-robin' }, members }];
  const routes: RouteOptions[] = [];
  const server = await startAdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: createMetricsRegistry(telemetry, () => pools),
    telemetry,
    pools: () => pools,
    store,
    changes,
    onRoute: (route) => routes.push(route),
    statsIntervalMs: options.statsIntervalMs,
  });
  const base = `http://127.0.0.1:${server.address.port}`;
  return {
    base,
    server,
    store,
    changes,
    routes,
    tokens,
    applied,
    live,
    async call(method, path, callOptions = {}) {
      const headers: Record<string, string> = {};
      const token = callOptions.token ?? (callOptions.role === undefined ? undefined : tokens[callOptions.role]);
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (callOptions.rawBody !== undefined || callOptions.body !== undefined) {
        headers['content-type'] = 'application/json';
        body = callOptions.rawBody ?? JSON.stringify(callOptions.body);
      }
      const response = await fetch(base + path, { method, headers, body, redirect: 'manual' });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        // not JSON (metrics text)
      }
      return { status: response.status, body: parsed };
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
}
