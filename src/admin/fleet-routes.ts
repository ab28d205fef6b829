import type { FastifyInstance } from 'fastify';
import { listFleetNodes, type FleetNode, type Store } from '../control/index.js';
import { READ_ROLES } from './auth.js';
import { authErrors } from './schemas.js';

/** This node's view of its fleet membership (implemented by the node's FleetMember). */
export interface AdminFleetSource {
  describeSelf(): {
    id: string;
    hostname: string;
    adminUrl: string;
    startedAt: number;
    configVersion: number;
    isStoreUp: boolean;
    storeDownSince: number | null;
    storeError: string | null;
    lastSwap: { version: number; lagMs: number; at: number } | null;
    /** This node holds the monitor's advisory lock: it evaluates the rules for the whole fleet. */
    isLeader: boolean;
  };
  /** Why the node is degraded (the store is unreachable), or undefined. */
  degradedReason(): string | undefined;
}

/** The body of GET /api/v1/fleet. */
export interface FleetStatus {
  readonly isFleet: boolean;
  readonly store: string;
  readonly self: ReturnType<AdminFleetSource['describeSelf']> | null;
  readonly nodes: readonly FleetNode[];
}

const nullableNumber = { type: ['number', 'null'] } as const;
const nullableString = { type: ['string', 'null'] } as const;

const fleetNodeSchema = {
  type: 'object',
  required: ['id', 'hostname', 'adminUrl', 'startedAt', 'lastSeenAt', 'heartbeatAgeMs', 'state', 'configVersion', 'requestsPerSecond', 'isLeader'],
  properties: {
    id: { type: 'string' },
    hostname: { type: 'string' },
    adminUrl: nullableString,
    startedAt: { type: 'number' },
    lastSeenAt: { type: 'number', description: 'Epoch ms of the last heartbeat' },
    heartbeatAgeMs: { type: 'number' },
    state: { type: 'string', enum: ['live', 'stale', 'gone'], description: 'live: a heartbeat within 6 s; stale: within 30 s; gone: older' },
    configVersion: nullableNumber,
    requestsPerSecond: { ...nullableNumber, description: "Over the last 10 s of the node's telemetry snapshots; null when it wrote none" },
    isLeader: { type: 'boolean', description: "Holds the monitor's advisory lock now: evaluates the monitor rules, alerts and rolls back for the fleet" },
  },
} as const;

const fleetSelfSchema = {
  type: ['object', 'null'],
  properties: {
    id: { type: 'string' },
    hostname: { type: 'string' },
    adminUrl: { type: 'string' },
    startedAt: { type: 'number' },
    configVersion: { type: 'number' },
    isStoreUp: { type: 'boolean' },
    storeDownSince: nullableNumber,
    storeError: nullableString,
    lastSwap: {
      type: ['object', 'null'],
      properties: { version: { type: 'number' }, lagMs: { type: 'number', description: 'From the version’s commit to the swap on this node' }, at: { type: 'number' } },
    },
    isLeader: { type: 'boolean', description: 'This node runs the fleet-wide monitor' },
  },
} as const;

const fleetSchema = {
  type: 'object',
  required: ['isFleet', 'store', 'self', 'nodes'],
  properties: {
    isFleet: { type: 'boolean', description: 'false on a SQLite store: a fleet of one, no nodes are registered' },
    store: { type: 'string' },
    self: fleetSelfSchema,
    nodes: { type: 'array', items: fleetNodeSchema },
  },
} as const;

/** GET /api/v1/fleet: the nodes sharing this node's PostgreSQL store (docs/fleet.md). */
export function registerFleetRoutes(app: FastifyInstance, options: { store: Store; fleet?: () => AdminFleetSource | undefined }): void {
  app.get('/api/v1/fleet', {
    config: { access: READ_ROLES },
    schema: { summary: 'The nodes of the fleet: config version, heartbeat age, state and traffic', tags: ['fleet'], response: { 200: fleetSchema, ...authErrors } },
    handler: async (): Promise<FleetStatus> => {
      const member = options.fleet?.();
      if (options.store.dialect !== 'postgres') return { isFleet: false, store: options.store.displayUrl, self: null, nodes: [] };
      return { isFleet: true, store: options.store.displayUrl, self: member?.describeSelf() ?? null, nodes: await listFleetNodes(options.store) };
    },
  });
}
