import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema, type Config, type ConfigInput } from '../../src/config/index.js';
import type { ChangeRefusedError } from '../../src/control/index.js';
import { createChangeAudit } from '../../src/node/change-audit.js';
import { actors, caught, openChangeHarness, type ChangeHarness } from '../control/changes/change-fixture.js';

function pool(weights: number[], persistence: Record<string, unknown> = { by: 'cookie', ttl: '30m', bound: 1.25 }, policy: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    pools: {
      portal: {
        persistence,
        health: { path: '/healthz' },
        max_inflight: 50,
        backends: weights.map((weight, i) => ({ id: `web-${i + 1}`, url: `http://10.0.0.${11 + i}:8000`, weight })),
      },
    },
    proxy: { cookie_secret: 'change-audit-test-secret' },
    policy,
  } as ConfigInput);
}

let harness: ChangeHarness | undefined;
let directory: string | undefined;
afterEach(async () => {
  await harness?.dispose();
  harness = undefined;
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

describe('the audit in the change path', () => {
  it('refuses a change that gives one server most of a pool, which no guardrail catches, naming rule EK202', async () => {
    harness = await openChangeHarness('sqlite', pool([100, 100, 100]), { audit: createChangeAudit({ configPath: 'evenkeel.yaml' }) });
    // 100 -> 400 is within the max_weight_factor guardrail (4), but web-1 would hold 67% of the pool.
    const refused = (await caught(() => harness!.service.propose({ actor: actors.file, source: 'file', reason: 'edit', config: pool([400, 100, 100]) }))) as ChangeRefusedError;
    expect(refused.code).toBe('EK_CHANGE_REFUSED');
    expect(refused.findings.filter((finding) => finding.severity === 'error').map((finding) => finding.rule)).toEqual(['EK202']);
    expect(refused.message).toContain('web-1 weight 400 holds 67%');
    const stored = await harness.service.get(refused.changeId);
    expect(stored.status).toBe('rejected');
    expect(stored.findings.map((finding) => finding.rule)).toContain('EK202');
  });

  it('stores a warning-level finding with the change and holds it for a person', async () => {
    harness = await openChangeHarness('sqlite', pool([100, 100, 100]), { audit: createChangeAudit({ configPath: 'evenkeel.yaml' }) });
    const held = await harness.service.propose({ actor: actors.file, source: 'file', reason: 'longer sessions', config: pool([100, 100, 100], { by: 'cookie', ttl: '8h', bound: 1.25 }) });
    expect(held).toMatchObject({ status: 'proposed', isFlagged: true });
    const ttl = held.findings.find((finding) => finding.rule === 'EK103');
    expect(ttl).toMatchObject({ severity: 'warning' });
    expect(ttl!.message).toContain('lasts 8h, longer than 1h');
    expect((await harness.service.get(held.id)).findings).toEqual(held.findings);
  });

  it('reports only what the change introduces, not risks already live', async () => {
    harness = await openChangeHarness('sqlite', pool([100, 100, 100], { by: 'cookie', ttl: '8h', bound: 1.25 }), { audit: createChangeAudit({ configPath: 'evenkeel.yaml' }) });
    const applied = await harness.service.propose({ actor: actors.file, source: 'file', reason: 'small nudge', config: pool([100, 100, 110], { by: 'cookie', ttl: '8h', bound: 1.25 }) });
    expect(applied.findings.filter((finding) => finding.rule.startsWith('EK'))).toEqual([]);
  });

  it("applies the live config's policy.audit_standards, relative to the config file", async () => {
    directory = mkdtempSync(join(tmpdir(), 'ek-change-audit-'));
    writeFileSync(join(directory, 'standards.yaml'), 'rules:\n  EK202: { severity: warning, thresholds: { max_share: 0.7 } }\n  EK103: off\n');
    const standards = { audit_standards: 'standards.yaml' };
    harness = await openChangeHarness('sqlite', pool([100, 100, 100], undefined, standards), { audit: createChangeAudit({ configPath: join(directory, 'evenkeel.yaml') }) });
    const proposed = await harness.service.propose({ actor: actors.file, source: 'file', reason: 'edit', config: pool([400, 100, 100], { by: 'cookie', ttl: '8h', bound: 1.25 }, standards) });
    expect(proposed.findings.map((finding) => finding.rule)).not.toContain('EK202');
    expect(proposed.findings.map((finding) => finding.rule)).not.toContain('EK103');

    const more = await harness.service.propose({ actor: actors.file, source: 'file', reason: 'edit', config: pool([400, 100, 50], undefined, standards) });
    expect(more.findings.find((finding) => finding.rule === 'EK202')).toMatchObject({ severity: 'warning' });
  });
});
