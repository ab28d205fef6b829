import { describe, expect, it } from 'vitest';
import { parseConfigText, withConfigDefaults } from '../../src/config/index.js';

describe('config versions stored by an older evenkeel', () => {
  it('read back with the defaults of the sections and keys added since', () => {
    const current = parseConfigText('pools:\n  web:\n    backends: [{ id: web-1, url: "http://127.0.0.1:8001" }]\npolicy:\n  guardrails: { max_weight_factor: 2 }\n', 'x.yaml');
    const older = JSON.parse(JSON.stringify(current)) as Record<string, unknown> & { policy: Record<string, unknown> };
    delete older.monitor;
    delete older.policy.auto_rollback;
    const restored = withConfigDefaults(older);
    expect(restored.monitor).toEqual(current.monitor);
    expect(restored.policy.auto_rollback.window).toBe(600_000);
    // What the older version said is kept.
    expect(restored.policy.guardrails.max_weight_factor).toBe(2);
    expect(restored.pools).toEqual(current.pools);
  });
});
