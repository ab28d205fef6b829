import { z } from 'zod';
import { duration } from './units.js';

// The `policy:` section: who may propose and approve changes, which changes wait for a second person,
// and the guardrails that refuse a change outright. The control plane (src/control/policy) enforces it;
// docs/changes.md ("Changes, approvals and policy") explains every key. Defaults are the safe choice:
// a config without a `policy:` section gets all of them.

const ROLES = ['viewer', 'operator', 'approver', 'automation', 'admin'] as const;
/** Sources of a change that policy can hold for approval (automation is always held). */
const SOURCES = ['cli', 'api', 'dashboard', 'file', 'automation'] as const;

const role = z.enum(ROLES, { error: (issue) => `expected a role (${ROLES.join(', ')}), got ${JSON.stringify(issue.input)}` });
const source = z.enum(SOURCES, { error: (issue) => `expected a change source (${SOURCES.join(', ')}), got ${JSON.stringify(issue.input)}` });

const fraction = (what: string) =>
  z
    .number({ error: `expected ${what}, a number from 0 to 1` })
    .min(0, { error: (issue) => `expected ${what} from 0 to 1, got ${JSON.stringify(issue.input)}` })
    .max(1, { error: (issue) => `expected ${what} from 0 to 1, got ${JSON.stringify(issue.input)}` });

const aboveOne = (example: string) =>
  z
    .number({ error: `expected a factor above 1, such as ${example}` })
    .gt(1, { error: (issue) => `expected a factor above 1, such as ${example}, got ${JSON.stringify(issue.input)}` })
    .max(10_000, { error: (issue) => `expected a factor of at most 10000, got ${JSON.stringify(issue.input)}` });

export const guardrailsSchema = z.strictObject({
  max_weight_factor: aboveOne('4')
    .default(4)
    .describe("A change may multiply or divide a backend's weight by at most this factor (100 -> 400 passes with 4, 100 -> 500 is refused). Weight 0 counts as draining, not as a factor."),
  max_drain_share: fraction('a share of backends')
    .default(0.5)
    .describe("A change may not leave more than this share of a pool's backends drained, at weight 0 or removed."),
  min_healthy_capacity: fraction('a share of live weight')
    .default(0.5)
    .describe("After a change, backends that stay in service and are healthy must hold at least this share of the pool's live weight."),
  forbid_bound_removal: z
    .boolean({ error: 'expected true or false' })
    .default(true)
    .describe('Refuse a change that removes the load bound of persistence or consistent hashing, or turns persistence on without one.'),
});

export const policySchema = z.strictObject({
  propose_roles: z
    .array(role)
    .default(['operator', 'approver', 'automation', 'admin'])
    .describe('Token roles that may propose changes. The node\'s own config file may always propose.'),
  approve_roles: z
    .array(role)
    .default(['approver', 'admin'])
    .refine((roles) => !roles.includes('automation'), { error: 'automation tokens can never approve changes; remove "automation" from approve_roles' })
    .refine((roles) => !roles.includes('viewer'), { error: 'viewer tokens only read; remove "viewer" from approve_roles' })
    .describe('Token roles that may approve or reject changes; never the change\'s author, never automation.'),
  require_approval: z
    .array(source)
    .default(['cli', 'api', 'dashboard'])
    .describe('Sources whose changes wait for an approver who is not the author. Automation always waits; a flagged change always waits.'),
  guardrails: guardrailsSchema.prefault({}).describe('Limits that refuse a change outright, each with its reason.'),
  audit_standards: z
    .string({ error: 'expected the path of a standards file, such as "standards.yaml"' })
    .min(1, { error: 'expected the path of a standards file, such as "standards.yaml"' })
    .optional()
    .describe('Standards file (docs/audit-rules.md) that the audit of every proposed change applies; relative to the config file. Default: every rule at its default severity.'),
  simulation: z
    .strictObject({
      max_share_ratio: aboveOne('1.5')
        .default(1.5)
        .describe("The impact simulation flags a backend predicted to take more than this many times its weight share (proposed or live)."),
    })
    .prefault({})
    .describe('Impact simulation settings.'),
  auto_rollback: z
    .strictObject({
      enabled: z.boolean({ error: 'expected true or false' }).default(true).describe('Roll back an applied change when an alert it plausibly caused fires within the window.'),
      window: duration().prefault('10m').describe('How long after a change is applied the node watches for alerts it caused.'),
      rules: z
        .array(z.enum(['skew', 'inflight_skew', 'latency', 'relative_latency', 'errors'], { error: (issue) => `expected an alert rule (skew, inflight_skew, latency, relative_latency, errors), got ${JSON.stringify(issue.input)}` }))
        .default(['skew', 'inflight_skew', 'latency', 'relative_latency', 'errors'])
        .describe('Alert rules whose firing rolls a change back.'),
      exclude_pools: z.array(z.string()).default([]).describe('Pools whose alerts never roll a change back (a person decides instead).'),
    })
    .prefault({})
    .describe('Automatic rollback of a change that causes a skew, latency or error alert.'),
});

export type PolicyConfig = z.output<typeof policySchema>;
export type AutoRollbackConfig = PolicyConfig['auto_rollback'];
export type GuardrailsConfig = z.output<typeof guardrailsSchema>;
