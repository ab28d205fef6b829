import { describe, expect, it } from 'vitest';
import { auditConfig, auditEvenkeelConfig, readEvenkeelConfig, readEvenkeelText } from '../../../src/audit/index.js';
import { parseConfigText } from '../../../src/config/index.js';

const YAML = `admin: { listen: "0.0.0.0:9090" }
proxy:
  timeouts:
    connect: 5s
pools:
  portal:
    algorithm: round-robin
    persistence:
      by: cookie
      ttl: 8h
    health:
      path: /healthz
    max_inflight: 50
    backends:
      - { id: web-1, url: "http://10.0.0.11:8000", weight: 400 }
      - { id: web-2, url: "http://10.0.0.12:8000" }
      - { id: web-3, url: "http://10.0.0.13:8000" }
`;

describe('the evenkeel reader', () => {
  it('keeps the line and column of pools, backends and keys', () => {
    const config = readEvenkeelText(YAML, 'evenkeel.yaml');
    expect(config.problems).toEqual([]);
    const portal = config.pools[0]!;
    expect(portal.at).toEqual({ file: 'evenkeel.yaml', line: 6, column: 3 });
    expect(portal.persistence[0]).toMatchObject({ kind: 'cookie', ttlMs: 8 * 3_600_000, boundFactor: 1.25, at: { line: 8, column: 5 } });
    expect(portal.servers.map((server) => [server.name, server.weight, server.at.line, server.at.column])).toEqual([
      ['web-1', 400, 15, 9],
      ['web-2', 100, 16, 9],
      ['web-3', 100, 17, 9],
    ]);
    expect(portal.timeouts.connect).toEqual({ value: 5000, at: { file: 'evenkeel.yaml', line: 4, column: 5 } });
    expect(config.admin[0]).toMatchObject({ kind: 'evenkeel-admin', address: '0.0.0.0:9090', isLoopbackOnly: false, hasAuthentication: true, at: { line: 1, column: 10 } });
  });

  it('points findings at the offending lines', () => {
    const findings = auditConfig(readEvenkeelText(YAML, 'evenkeel.yaml')).map((finding) => `${finding.at.line}:${finding.at.column} ${finding.severity} ${finding.ruleId}`);
    expect(findings).toEqual(['1:10 warning EK502', '8:5 warning EK103', '15:9 error EK202']);
  });

  it('lists written keys as settings, pool keys relative to their pool', () => {
    const settings = readEvenkeelText(YAML, 'evenkeel.yaml').settings;
    expect(settings).toContainEqual({ key: 'health.path', args: ['/healthz'], scope: 'portal', at: { file: 'evenkeel.yaml', line: 12, column: 7 } });
    expect(settings).toContainEqual(expect.objectContaining({ key: 'proxy.timeouts.connect', args: ['5s'], scope: '' }));
    expect(settings.filter((setting) => setting.key === 'backends.weight').map((setting) => setting.args)).toEqual([['400']]);
  });

  it("turns an invalid file into read problems with the loader's positions", () => {
    const config = readEvenkeelText('pools:\n  portal:\n    backends:\n      - { id: web-1, url: "http://10.0.0.11:8000", weight: -1 }\n', 'bad.yaml');
    expect(config.pools).toEqual([]);
    expect(config.problems).toHaveLength(1);
    expect(config.problems[0]).toMatchObject({ at: { file: 'bad.yaml', line: 4, column: 52 } });
    expect(config.problems[0]!.message).toContain('pools.portal.backends[0].weight');
  });

  it('never throws on unreadable files or YAML syntax errors', () => {
    expect(readEvenkeelConfig('missing.yaml', () => { throw new Error('ENOENT'); }).problems[0]!.message).toContain('cannot read');
    expect(readEvenkeelText('pools: [\n', 'broken.yaml').problems[0]!.message).toContain('YAML syntax error');
  });

  it('maps a loaded config for the change path with every position at line 1', () => {
    const config = auditEvenkeelConfig(parseConfigText(YAML, 'evenkeel.yaml'), 'proposed');
    expect(config.pools[0]!.servers[0]!.at).toEqual({ file: 'proposed', line: 1, column: 1 });
    expect(auditConfig(config).map((finding) => finding.ruleId)).toEqual(['EK103', 'EK202', 'EK502']);
  });
});
