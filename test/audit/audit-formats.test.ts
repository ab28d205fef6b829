import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { AuditFinding } from '../../src/audit/finding.js';
import type { ReadProblem } from '../../src/audit/model.js';
import { formatJson } from '../../src/audit/formats/json.js';
import { formatSarif } from '../../src/audit/formats/sarif.js';
import { formatText } from '../../src/audit/formats/text.js';
import { RULES } from '../../src/audit/rules/index.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const cwd = '/srv/lb';
const findings: AuditFinding[] = [
  {
    ruleId: 'EK101',
    severity: 'error',
    message: 'backend app: `cookie SRV insert` pins clients to a server with no load bound',
    hint: 'add `hash-balance-factor 125` to backend app',
    kind: 'haproxy',
    at: { file: '/srv/lb/conf/haproxy.cfg', line: 42, column: 5 },
  },
  { ruleId: 'STD001', severity: 'warning', message: 'every backend needs option httpchk (`option httpchk` is missing in backend app)', hint: 'write `option httpchk`', kind: 'haproxy', at: { file: 'conf/haproxy.cfg', line: 40, column: 1 } },
  { ruleId: 'EK301', severity: 'note', message: 'a note', hint: '', kind: 'nginx', at: { file: '/etc/nginx/nginx.conf', line: 3, column: 2 } },
];
const problems: ReadProblem[] = [
  { message: 'unexpected "}"', at: { file: '/srv/lb/nginx.conf', line: 7, column: 1 } },
  { message: 'cannot read the config file: ENOENT', at: { file: '/srv/lb/missing.cfg', line: 0, column: 0 } },
];

describe('audit report formats', () => {
  it('text puts each finding on a compiler-style line with its fix under it, problems as syntax or read errors, and counts at the end', () => {
    const text = formatText(findings, problems, { cwd, fileCount: 4 });
    expect(text.split('\n')).toEqual([
      'nginx.conf:7:1: error syntax unexpected "}"',
      'missing.cfg: error read cannot read the config file: ENOENT',
      'conf/haproxy.cfg:42:5: error EK101 backend app: `cookie SRV insert` pins clients to a server with no load bound',
      '    fix: add `hash-balance-factor 125` to backend app',
      'conf/haproxy.cfg:40:1: warning STD001 every backend needs option httpchk (`option httpchk` is missing in backend app)',
      '    fix: write `option httpchk`',
      '/etc/nginx/nginx.conf:3:2: note EK301 a note',
      '4 files audited: 1 error, 1 warning, 1 note; 2 problems reading 2 files',
      '',
    ]);
  });

  it('json keeps stable field names with paths relative to the working directory', () => {
    const report = JSON.parse(formatJson(findings, problems, { cwd })) as Record<string, unknown>;
    expect(report).toMatchObject({
      version: 1,
      tool: { name: 'evenkeel' },
      summary: { files: 5, errors: 1, warnings: 1, notes: 1, problems: 2 },
      problems: [{ message: 'unexpected "}"', file: 'nginx.conf', line: 7, column: 1 }, { file: 'missing.cfg', line: 0, column: 0 }],
    });
    expect((report.findings as unknown[])[0]).toEqual({ ruleId: 'EK101', severity: 'error', message: findings[0]!.message, hint: findings[0]!.hint, kind: 'haproxy', file: 'conf/haproxy.cfg', line: 42, column: 5 });
  });

  it('sarif output validates against the SARIF 2.1.0 schema', () => {
    const schema = JSON.parse(readFileSync(new URL('../fixtures/sarif-schema-2.1.0.json', import.meta.url), 'utf8')) as object;
    // unicodeRegExp off: the schema's `language` pattern has a stray "]" that only the u flag rejects.
    const ajv = addFormats(new Ajv({ strict: false, allErrors: true, unicodeRegExp: false }));
    const validate = ajv.compile(schema);
    const log = formatSarif(findings, RULES, problems, { cwd });
    expect(validate.errors ?? [], JSON.stringify(validate(log) ? [] : validate.errors, null, 2)).toEqual([]);
    expect(validate(log)).toBe(true);
    expect(validate(formatSarif([], RULES, [], { cwd }))).toBe(true);
  });

  it('sarif names the tool, describes every rule and locates each result relative to the working directory', () => {
    const log = formatSarif(findings, RULES, problems, { cwd }) as { version: string; runs: [{ tool: { driver: Record<string, unknown> }; results: Record<string, unknown>[]; invocations: Record<string, unknown>[] }] };
    const [run] = log.runs;
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver).toMatchObject({ name: 'evenkeel', informationUri: 'https://evenkeel.dev/' });
    expect(run.tool.driver.version).toMatch(/^\d+\.\d+\.\d+/);
    const rules = run.tool.driver.rules as Record<string, unknown>[];
    expect(rules.map((rule) => rule.id)).toEqual([...RULES.map((rule) => rule.id), 'STD001']);
    expect(rules[0]).toMatchObject({ id: RULES[0]!.id, name: RULES[0]!.name, shortDescription: { text: RULES[0]!.summary }, defaultConfiguration: { level: RULES[0]!.defaultSeverity } });
    expect(String(rules[0]!.helpUri)).toMatch(/^https:\/\/evenkeel\.dev\/docs\/audit-rules\.md#ek\d+$/);
    expect(run.results[0]).toMatchObject({
      ruleId: 'EK101',
      level: 'error',
      message: { text: `${findings[0]!.message}\nFix: ${findings[0]!.hint}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: 'conf/haproxy.cfg', uriBaseId: 'SRCROOT' }, region: { startLine: 42, startColumn: 5 } } }],
    });
    expect(run.results[2]).toMatchObject({ locations: [{ physicalLocation: { artifactLocation: { uri: 'file:///etc/nginx/nginx.conf' } } }] });
    expect(run.invocations[0]).toMatchObject({ executionSuccessful: false });
  });
});
