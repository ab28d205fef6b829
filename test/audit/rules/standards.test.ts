import { describe, expect, it } from 'vitest';
import { auditConfig, loadStandards, parseStandardsText, StandardsError, type AuditedConfig } from '../../../src/audit/index.js';
import { at, configOf, healthyPool, server } from './model-builders.js';

const lopsided = configOf('haproxy', [healthyPool({ servers: [server('web-1', { weight: 400 }), server('web-2', { weight: 100 }), server('web-3', { weight: 100 })] })]);

function summary(config: AuditedConfig, standardsYaml: string): string[] {
  return auditConfig(config, parseStandardsText(standardsYaml, 'standards.yaml')).map((finding) => `${finding.severity} ${finding.ruleId}`);
}

describe('the standards file', () => {
  it('turns rules off and on', () => {
    expect(summary(lopsided, '')).toEqual(['error EK202']);
    expect(summary(lopsided, 'rules:\n  EK202: off\n')).toEqual([]);
    expect(summary(lopsided, 'rules:\n  EK202: { enabled: false }\n')).toEqual([]);
    expect(summary(lopsided, 'rules:\n  EK202: on\n')).toEqual(['error EK202']);
  });

  it('changes severities', () => {
    expect(summary(lopsided, 'rules:\n  EK202: note\n')).toEqual(['note EK202']);
    expect(summary(lopsided, 'rules:\n  EK202: { severity: warning }\n')).toEqual(['warning EK202']);
  });

  it('changes thresholds, keeping the defaults of the others', () => {
    expect(summary(lopsided, 'rules:\n  EK202: { thresholds: { max_share: 0.7 } }\n')).toEqual([]);
    expect(summary(lopsided, 'rules:\n  EK201: { thresholds: { max_ratio: 3 } }\n')).toEqual(['warning EK201', 'error EK202']);
  });

  it('adds required settings, per scope, with an argument pattern, its own id, message and severity', () => {
    const config: AuditedConfig = {
      ...configOf('haproxy'),
      settings: [
        { key: 'timeout connect', args: ['5s'], scope: 'defaults', at: at(3) },
        { key: 'balance', args: ['roundrobin'], scope: 'backend app', at: at(10) },
        { key: 'option httpchk', args: ['GET', '/healthz'], scope: 'backend app', at: at(11) },
        { key: 'balance', args: ['roundrobin'], scope: 'backend api', at: at(20) },
      ],
    };
    const standards = `required:
  - id: STD001
    kind: haproxy
    key: option httpchk
    scope: "^backend "
    message: every backend has an HTTP health check
    severity: error
  - id: TEAM-7
    key: timeout connect
    args: "^[0-9]+(ms|s)$"
    message: connect timeout in ms or s
  - id: STD003
    kind: nginx
    key: proxy_connect_timeout
    message: only for NGINX
`;
    const findings = auditConfig(config, parseStandardsText(standards, 'standards.yaml'));
    expect(findings.map((finding) => [finding.ruleId, finding.severity, finding.at.line, finding.message])).toEqual([
      ['STD001', 'error', 20, 'every backend has an HTTP health check (`option httpchk` is missing in backend api)'],
    ]);
    const wrongArgs = auditConfig({ ...config, settings: [{ key: 'timeout connect', args: ['5m'], scope: 'defaults', at: at(3) }] }, parseStandardsText(standards, 'standards.yaml'));
    expect(wrongArgs.map((finding) => [finding.ruleId, finding.severity, finding.at.line])).toEqual([['TEAM-7', 'warning', 3]]);
  });

  it('accepts examples/standards.yaml, the documented example', () => {
    const standards = loadStandards('examples/standards.yaml');
    expect(standards.rules['EK203']).toBe('off');
    expect(standards.required.map((required) => required.id)).toEqual(['STD001', 'STD002', 'STD003']);
  });

  it('reports problems with file, line and column', () => {
    const problemsOf = (text: string) => {
      try {
        parseStandardsText(text, 'standards.yaml');
      } catch (error) {
        return (error as StandardsError).problems.map((problem) => `${problem.at.file}:${problem.at.line}:${problem.at.column} ${problem.message}`);
      }
      return [];
    };
    expect(problemsOf('rules:\n  EK999: off\n')[0]).toMatch(/^standards\.yaml:2:3 rules\.EK999: no audit rule has this id/);
    expect(problemsOf('rules:\n  EK202:\n    thresholds:\n      max_sahre: 0.7\n')[0]).toMatch(/^standards\.yaml:4:7 rules\.EK202\.thresholds\.max_sahre: EK202 has no such threshold \(it has max_share, min_servers\)/);
    expect(problemsOf('rules:\n  EK202: loud\n')[0]).toMatch(/^standards\.yaml:2:3 /);
    expect(problemsOf('required:\n  - id: STD001\n    key: x\n')[0]).toMatch(/^standards\.yaml:2:5 required\.0\.message/);
    expect(problemsOf('rules: [\n')[0]).toMatch(/^standards\.yaml:\d+:\d+ YAML syntax error/);
  });
});
