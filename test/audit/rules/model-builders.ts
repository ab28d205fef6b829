import type { AdminInterface, AuditedConfig, AuditedPool, AuditedServer, ConfigKind, SourcePosition } from '../../../src/audit/index.js';

// Minimal hand-built models: a healthy pool by default, so each test changes only what its rule judges.

export const at = (line: number, file = 'lb.conf'): SourcePosition => ({ file, line, column: 1 });

export function server(name: string, overrides: Partial<AuditedServer> = {}): AuditedServer {
  return { name, address: `10.0.0.${name.length}:80`, weight: undefined, isBackup: false, isDisabled: false, maxConnections: 100, maxFails: undefined, slowStartMs: undefined, hasCheck: true, at: at(10), ...overrides };
}

export function healthyPool(overrides: Partial<AuditedPool> = {}): AuditedPool {
  return {
    name: 'app',
    at: at(2),
    balance: { value: 'round-robin', at: at(3) },
    hashing: undefined,
    persistence: [],
    servers: [server('web-1', { at: at(10) }), server('web-2', { at: at(11) }), server('web-3', { at: at(12) })],
    healthCheck: { isEnabled: true, intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3, at: at(4) },
    slowStartMs: { value: 30_000, at: at(5) },
    queue: { value: { size: 100, timeoutMs: 5000 }, at: at(6) },
    timeouts: { connect: { value: 5000, at: at(7) }, server: { value: 30_000, at: at(8) } },
    retries: { count: 1, retriesNonIdempotent: false, at: at(9) },
    ...overrides,
  };
}

export function configOf(kind: ConfigKind, pools: AuditedPool[] = [healthyPool()], admin: AdminInterface[] = []): AuditedConfig {
  return { kind, file: 'lb.conf', files: ['lb.conf'], pools, admin, settings: [], problems: [] };
}

export const KINDS: readonly ConfigKind[] = ['evenkeel', 'nginx', 'haproxy'];
