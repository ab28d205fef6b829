import { z } from 'zod';
import { ALERT_RULES, type CauseKind } from '../monitor/index.js';
import { duration, monitorSchema, policySchema } from '../config/index.js';

// A drill scenario as written in YAML (drills/*.yaml, docs/drills.md): the synthetic backends and
// their capacity, the pool the drill's node serves them with, the traffic, the phases (warmup, an
// optional prelude, one fault, a mitigation, an observation), what evenkeel is expected to see and
// the targets the run is judged against. Strict everywhere: a misspelt key is an error with its
// line, not a silently ignored setting. Durations are written as in the config ("30s", "500ms").

const name = z
  .string({ error: 'expected a name such as "web-1"' })
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, { error: (issue) => `expected a name of letters, digits, ".", "_" or "-", got ${JSON.stringify(issue.input)}` });

const positive = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: (issue) => `expected ${what} above 0, got ${JSON.stringify(issue.input)}` });
const share = (what: string) =>
  z
    .number({ error: `expected ${what}, a number from 0 to 1` })
    .min(0, { error: (issue) => `expected ${what} from 0 to 1, got ${JSON.stringify(issue.input)}` })
    .max(1, { error: (issue) => `expected ${what} from 0 to 1, got ${JSON.stringify(issue.input)}` });
const weight = z.number({ error: 'expected a weight from 0 to 10000' }).int({ error: 'expected a whole-number weight' }).min(0).max(10_000);
const weights = z.record(name, weight).describe('Backend id -> weight; backends not named keep the weight of the step before (100 at first).');

const serviceTimeSchema = z
  .strictObject({
    median: duration().describe('Median service time of one request, such as "20ms".'),
    p99: duration().describe('99th percentile of the service time; above the median (log-normal in between).'),
  })
  .refine((time) => time.p99 > time.median, { error: 'expected p99 above the median' });

const capacitySchema = z.strictObject({
  max_concurrency: z.number().int().min(1).max(10_000).default(8).describe('Requests a backend serves at once; the rest queue, so an overloaded backend slows down.'),
  service_time: serviceTimeSchema.prefault({ median: '10ms', p99: '50ms' }).describe('Service time distribution of one request.'),
  error_rate: share('a share of requests').default(0).describe('Share of requests answered 500.'),
});

const capacityOverrideSchema = z.strictObject({
  max_concurrency: z.number().int().min(1).max(10_000).optional(),
  service_time: serviceTimeSchema.optional(),
  error_rate: share('a share of requests').optional(),
});

const backendsSchema = z.strictObject({
  ids: z.array(name).min(2).max(50).describe('Backend ids, such as [web-1, web-2, web-3]; each becomes a synthetic backend on 127.0.0.1.'),
  capacity: capacitySchema.prefault({}).describe('Capacity model of every backend (max_concurrency, service_time, error_rate).'),
  overrides: z.record(name, capacityOverrideSchema).default({}).describe('Per-backend changes to the capacity model, by id.'),
});

const persistenceSchema = z.strictObject({
  by: z.enum(['none', 'cookie']).default('cookie').describe('cookie: the node pins each session to a backend by cookie; none: no persistence.'),
  bound: z.number().min(1).max(10).default(1.25).describe('Load bound of persistence: a pinned session spills when its backend is above bound x the average; 10 is "no bound".'),
});

const poolSchema = z.strictObject({
  algorithm: z.enum(['round-robin', 'least-inflight', 'p2c']).default('round-robin').describe("The pool's balancing algorithm."),
  persistence: persistenceSchema.prefault({}).describe('Session persistence of the pool.'),
  health_interval: duration().prefault('1s').describe('Time between two health checks of a backend.'),
  weights: weights.default({}).describe('Starting weights (100 for a backend not named).'),
});

const trafficSchema = z.strictObject({
  rate: positive('requests per second').max(5000).describe('Steady base rate, requests per second (open loop).'),
  sessions: z.number().int().min(1).max(100_000).default(2000).describe('Simulated users, each with its own cookie jar.'),
  zipf: z.number().min(0).max(3).default(0.8).describe('Zipf exponent of session activity (0 uniform, 1 the classic web curve).'),
  slo: duration().prefault('500ms').describe('A request slower than this counts as slowed.'),
  timeout: duration().prefault('5s').describe('A request without an answer for this long fails.'),
  seed: z.number().int().default(42).describe('Seed of the traffic, so a run replays the same load.'),
});

const actorRole = z.enum(['automation', 'operator']);

const changeStepSchema = z.strictObject({
  kind: z.literal('change'),
  author: actorRole.default('automation').describe('Role of the token that proposes the change (its name is "weights.sh" for automation, "operator" otherwise).'),
  approved: z.boolean().default(true).describe('Whether an approver approves and applies it (false: it is left waiting, or refused by a guardrail).'),
  reason: z.string().min(1).default('rebalance (weights.sh)').describe('Reason the change carries.'),
  weights: weights.default({}),
  bound: z.number().min(1).max(10).optional().describe('New persistence bound (10 removes it in effect); unchanged when absent.'),
});

const changeStreamSchema = z.strictObject({
  kind: z.literal('change_stream'),
  author: actorRole.default('automation'),
  count: z.number().int().min(1).max(200).describe('How many changes the script sends.'),
  interval: duration().describe('Time between two changes (scaled by --speed).'),
  weights: z.array(weights).min(1).describe('Weight maps the script proposes, in turn (cycled).'),
  approved: z.boolean().default(false).describe('Whether an approver approves each one (a drill of a rubber-stamping approver).'),
});

const crashSchema = z.strictObject({
  kind: z.literal('crash'),
  backends: z.array(name).min(1).describe('Backends whose process dies.'),
  restart_after: duration().optional().describe('They come back this long after the crash (scaled by --speed); never when absent.'),
});

const slowSchema = z.strictObject({
  kind: z.literal('slow'),
  backends: z.array(name).min(1).describe('Backends that slow down.'),
  service_time: serviceTimeSchema.describe('Their new service time.'),
  max_concurrency: z.number().int().min(1).max(10_000).optional().describe('Their new concurrency, when it changes too.'),
});

const flapSchema = z.strictObject({
  kind: z.literal('flap'),
  backend: name.describe('The backend that goes down and up.'),
  period: duration().describe('One down-and-up cycle; down for half of it (not scaled: it is a property of the fault).'),
  times: z.number().int().min(1).max(100).describe('How many cycles.'),
});

const trafficFaultSchema = z.strictObject({
  kind: z.literal('traffic'),
  rate_factor: positive('a factor of the base rate').max(20).describe('The offered rate becomes this times the base rate, spread like the base traffic.'),
});

const faultSchema = z.discriminatedUnion('kind', [changeStepSchema, changeStreamSchema, crashSchema, slowSchema, flapSchema, trafficFaultSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'expected kind: change, change_stream, crash, slow, flap or traffic' : undefined),
});

const phasesSchema = z.strictObject({
  prelude: z.array(changeStepSchema).default([]).describe('Changes applied before the traffic starts, at a quiet moment (the postmortem script\'s first run).'),
  warmup: duration().prefault('30s').describe('Steady traffic before the fault (scaled by --speed).'),
  fault: faultSchema.describe('The one fault the drill injects.'),
  detect_timeout: duration().prefault('60s').describe('How long the drill waits for the expected alert (real time, not scaled).'),
  observe: duration().prefault('20s').describe('Traffic keeps running this long after mitigation, or after the fault when nothing is to be mitigated (scaled by --speed).'),
});

const mitigationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }).describe('Nothing to mitigate (a drill of a guardrail).'),
  z.strictObject({ kind: z.literal('auto_rollback') }).describe('The node rolls the change back by itself.'),
  z.strictObject({
    kind: z.literal('manual'),
    after: duration().prefault('10s').describe('The fix is applied this long after detection (scaled by --speed): the time a person takes.'),
    action: z.enum(['restart_backend', 'drain_backend', 'restore_weights']).describe('restart the faulty backends, drain them through a change by an operator, or restore the starting weights through a change.'),
    backends: z.array(name).default([]).describe('Backends the fix is about (default: those of the fault).'),
  }),
]);

const expectSchema = z.strictObject({
  alert: z.array(z.enum(ALERT_RULES)).default([]).describe('Rules whose first firing after the fault counts as detection; empty when nothing should fire.'),
  cause: z.enum(['config_change', 'persistence', 'health', 'traffic_spike', 'traffic_drop'] satisfies CauseKind[]).optional().describe('Cause kind the detecting alert must rank first.'),
  silent: z.array(z.enum(ALERT_RULES)).default([]).describe('Rules that must not fire from the fault to the end of the drill.'),
});

const targetsSchema = z.strictObject({
  detect_s: positive('seconds').optional().describe('Fault -> first firing alert of expect.alert, at most this many seconds.'),
  mitigate_s: positive('seconds').optional().describe('Fault -> rollback or manual fix applied, at most this many seconds.'),
  slowed_share: share('a share of requests').optional().describe('Requests slower than the SLO, from the fault on, at most this share.'),
  failed_share: share('a share of requests').optional().describe('Requests failed, from the fault on, at most this share.'),
  diagnosis: z.boolean().optional().describe('true: the detecting alert ranks expect.cause first.'),
  no_alerts: z.boolean().optional().describe('true: none of expect.silent fired.'),
  config_unchanged: z.boolean().optional().describe('true: the live config version did not move during the fault.'),
});

export const scenarioSchema = z
  .strictObject({
    name: name.describe('Short name, used by `evenkeel drill run NAME` and in reports.'),
    title: z.string().min(1).describe('One line for the report.'),
    description: z.string().default('').describe('What the drill reproduces and why.'),
    backends: backendsSchema,
    pool: poolSchema.prefault({}),
    monitor: z.record(z.string(), z.unknown()).optional().describe('Merged into the node\'s monitor: section (docs/monitoring.md).'),
    policy: z.record(z.string(), z.unknown()).optional().describe('Merged into the node\'s policy: section (docs/changes.md).'),
    traffic: trafficSchema,
    phases: phasesSchema,
    mitigation: mitigationSchema.prefault({ kind: 'none' }),
    expect: expectSchema.prefault({}),
    targets: targetsSchema.prefault({}),
  })
  .superRefine((scenario, context) => {
    checkSection(monitorSchema, scenario.monitor, 'monitor', context);
    checkSection(policySchema, scenario.policy, 'policy', context);
    const ids = new Set(scenario.backends.ids);
    if (ids.size !== scenario.backends.ids.length) context.addIssue({ code: 'custom', path: ['backends', 'ids'], message: 'expected every backend id once' });
    const known = (list: readonly string[], path: PropertyKey[]) => {
      for (const [index, id] of list.entries()) {
        if (!ids.has(id)) context.addIssue({ code: 'custom', path: [...path, index], message: `unknown backend ${JSON.stringify(id)}; the backends are ${[...ids].join(', ')}` });
      }
    };
    const fault = scenario.phases.fault;
    if (fault.kind === 'crash' || fault.kind === 'slow') known(fault.backends, ['phases', 'fault', 'backends']);
    if (fault.kind === 'flap' && !ids.has(fault.backend)) context.addIssue({ code: 'custom', path: ['phases', 'fault', 'backend'], message: `unknown backend ${JSON.stringify(fault.backend)}; the backends are ${[...ids].join(', ')}` });
    if (scenario.mitigation.kind === 'manual') known(scenario.mitigation.backends, ['mitigation', 'backends']);
    if (scenario.targets.detect_s !== undefined && scenario.expect.alert.length === 0) {
      context.addIssue({ code: 'custom', path: ['targets', 'detect_s'], message: 'detect_s needs the rules that count as detection in expect.alert' });
    }
    if (scenario.targets.diagnosis === true && scenario.expect.cause === undefined) {
      context.addIssue({ code: 'custom', path: ['targets', 'diagnosis'], message: 'diagnosis needs the expected cause in expect.cause' });
    }
  });

/** Validates an override section against the node's own schema, so its mistakes are reported at their line in the scenario. */
function checkSection(schema: z.ZodType, value: Record<string, unknown> | undefined, key: string, context: z.RefinementCtx): void {
  if (value === undefined) return;
  const parsed = schema.safeParse(value);
  if (parsed.success) return;
  for (const issue of parsed.error.issues) {
    context.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}` : issue.message });
  }
}

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioFault = Scenario['phases']['fault'];
export type ScenarioChangeStep = z.output<typeof changeStepSchema>;
export type ScenarioMitigation = Scenario['mitigation'];
export type ScenarioCapacity = z.output<typeof capacitySchema>;
