import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { JsonReport } from '../../src/audit/formats/json.js';
import { runAudit } from '../../src/cli/audit-command.js';

// Runs the built `evenkeel audit` (npm run build first) over the corpus of test/fixtures/audit/:
// each config's *.expected.json is the specification of what the audit must find in it (rule,
// severity, file and line), written by reading the config, not by copying the command's output.

const run = promisify(execFile);
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/evenkeel.js');
const CORPUS = join(ROOT, 'test/fixtures/audit');

interface ExpectedFinding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
}
interface Expected {
  description: string;
  config: string;
  exitCode: number;
  findings: ExpectedFinding[];
}

async function audit(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, 'audit', ...args], { cwd, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function expectedFiles(): string[] {
  return readdirSync(CORPUS, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.expected.json'))
    .sort();
}

const corpus = expectedFiles().map((path) => ({ path, dir: dirname(join(CORPUS, path)), expected: JSON.parse(readFileSync(join(CORPUS, path), 'utf8')) as Expected }));
const found = (report: JsonReport) => report.findings.map(({ ruleId, severity, file, line }) => ({ ruleId, severity, file, line }));

describe('evenkeel audit over the corpus', () => {
  it('holds a clean, a postmortem-like and an exposed config of every kind', () => {
    for (const kind of ['evenkeel', 'nginx', 'haproxy']) {
      const names = corpus.filter((entry) => entry.path.startsWith(`${kind}/`)).map((entry) => entry.path.split('/').pop());
      expect(names).toEqual(expect.arrayContaining(['clean.expected.json', 'postmortem.expected.json', 'exposed.expected.json']));
    }
  });

  it.each(corpus.map((entry) => [entry.path, entry] as const))('finds in %s exactly the findings it lists, with its exit code', async (_path, { dir, expected }) => {
    const result = await audit([expected.config, '--format', 'json'], dir);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.problems).toEqual([]);
    expect(found(report)).toEqual(expected.findings);
    expect(result.code).toBe(expected.exitCode);
  });

  it('exits 1 only when a finding is at or above --fail-on', async () => {
    const postmortem = 'test/fixtures/audit/evenkeel/postmortem.yaml';
    const runs = await Promise.all([
      audit([postmortem]),
      audit([postmortem, '--fail-on', 'error']),
      audit([postmortem, '--fail-on', 'warning']),
      audit(['test/fixtures/audit/evenkeel/clean.yaml', '--fail-on', 'note']),
      audit(['test/fixtures/audit/nginx/exposed.conf']),
    ]);
    expect(runs.map((result) => result.code)).toEqual([0, 0, 1, 0, 1]);
  });

  it('prints compiler-style lines with a fix under each and a summary', async () => {
    const result = await audit(['test/fixtures/audit/nginx/postmortem.conf']);
    expect(result.stdout).toContain(
      'test/fixtures/audit/nginx/postmortem.conf:8:9: error EK101 upstream portal: `ip_hash` has no load bound, so every client behind one address lands on one server however busy it is\n    fix: ',
    );
    expect(result.stdout.trimEnd().split('\n').pop()).toBe('1 file audited: 1 error, 4 warnings, 1 note');
  });

  it('writes SARIF for every corpus file at once that validates against the SARIF 2.1.0 schema', async () => {
    const configs = corpus.map((entry) => relative(ROOT, join(entry.dir, entry.expected.config)));
    const out = join(mkdtempSync(join(tmpdir(), 'evenkeel-audit-')), 'audit.sarif');
    const result = await audit([...configs, '--format', 'sarif', '--output', out]);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(1);
    const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: [{ results: { ruleId: string; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }] };
    const schema = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/sarif-schema-2.1.0.json'), 'utf8')) as object;
    // unicodeRegExp off: the schema's `language` pattern has a stray "]" that only the u flag rejects.
    const validate = addFormats(new Ajv({ strict: false, allErrors: true, unicodeRegExp: false })).compile(schema);
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    const results = log.runs[0].results;
    expect(results).toHaveLength(corpus.reduce((sum, entry) => sum + entry.expected.findings.length, 0));
    expect(results.map((result) => result.locations[0]!.physicalLocation.artifactLocation.uri)).toContain('test/fixtures/audit/nginx/postmortem.conf');
  });

  it('applies a standards file: a rule turned off, a threshold and severity changed, a required setting added', async () => {
    const standards = ['--standards', 'test/fixtures/audit/team-standards.yaml', '--format', 'json'];
    const nginx = await audit(['test/fixtures/audit/nginx/postmortem.conf', ...standards]);
    const findings = found(JSON.parse(nginx.stdout) as JsonReport);
    expect(findings.map((finding) => finding.ruleId)).not.toContain('EK102');
    expect(findings).toContainEqual({ ruleId: 'EK201', severity: 'error', file: 'test/fixtures/audit/nginx/postmortem.conf', line: expect.any(Number) as number });
    expect(findings).toContainEqual({ ruleId: 'TEAM001', severity: 'warning', file: 'test/fixtures/audit/nginx/postmortem.conf', line: 1 });
    // The same team standards make the evenkeel postmortem's 6x weights an error: exit 1 at the default level.
    const evenkeel = await audit(['test/fixtures/audit/evenkeel/postmortem.yaml', ...standards]);
    expect(found(JSON.parse(evenkeel.stdout) as JsonReport).filter((finding) => finding.severity === 'error').map((finding) => finding.ruleId)).toEqual(['EK201']);
    expect(evenkeel.code).toBe(1);
  });

  it('exits 2 for a missing file, an unknown kind, a syntax error, a missing include and an invalid standards file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-audit-'));
    writeFileSync(join(dir, 'notes.txt'), 'hello\n');
    writeFileSync(join(dir, 'broken.conf'), 'events {}\nhttp {\n    upstream app {\n        server 10.0.0.1:80;\n');
    writeFileSync(join(dir, 'bad-standards.yaml'), 'rules:\n  EK999: off\n');
    writeFileSync(join(dir, 'nginx.conf'), 'events {}\nhttp {\n    include sites/shop.conf;\n}\n');

    const [missing, unknown, broken, standards, mixed, include] = await Promise.all([
      audit(['missing.cfg'], dir),
      audit(['notes.txt'], dir),
      audit(['broken.conf'], dir),
      audit([join(CORPUS, 'nginx/postmortem.conf'), '--standards', 'bad-standards.yaml'], dir),
      // A missing file next to a risky one: both reported, and the run is not clean.
      audit([join(CORPUS, 'nginx/postmortem.conf'), 'missing.cfg'], dir),
      audit(['nginx.conf'], dir),
    ]);
    // A run that dies before auditing (code 1, empty stdout) shows its stderr in the failure.
    expect(missing, missing.stderr).toMatchObject({ code: 2, stdout: expect.stringContaining('missing.cfg: error read cannot read the config file: no such file\n') as string });
    expect(unknown, unknown.stderr).toMatchObject({ code: 2, stdout: expect.stringContaining('notes.txt: error read cannot tell whether') as string });
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/^broken\.conf:\d+:\d+: error syntax /m);
    expect(standards).toMatchObject({ code: 2, stdout: '' });
    expect(standards.stderr).toContain('bad-standards.yaml:2:3: error standards rules.EK999: no audit rule has this id');
    expect(mixed.code).toBe(2);
    expect(mixed.stdout).toContain('error EK101');
    expect(include.code).toBe(2);
    expect(include.stdout).toMatch(/^nginx\.conf:3:13: error syntax .*sites\/shop\.conf/m);
  });

  it('reads a file as the kind --kind names when its name and content do not say', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-audit-'));
    writeFileSync(join(dir, 'upstreams.txt'), 'upstream app {\n    ip_hash;\n    server 10.0.0.1:80;\n    server 10.0.0.2:80;\n}\n');
    const result = await audit(['upstreams.txt', '--kind', 'nginx'], dir);
    expect(result.stdout, result.stderr).toContain('upstreams.txt:2:5: error EK101 upstream app: `ip_hash` has no load bound');
    expect(result.code).toBe(1);
  });

  it('exits 2 without a report when --output cannot be written', () => {
    const output = { out: '', err: '' };
    const sink = { out: (text: string) => { output.out += text; }, err: (text: string) => { output.err += text; } };
    const target = join(mkdtempSync(join(tmpdir(), 'evenkeel-audit-')), 'no-such-dir', 'audit.json');
    expect(runAudit([join(CORPUS, 'evenkeel/clean.yaml')], { format: 'json', failOn: 'error', output: target }, sink)).toBe(2);
    expect(output).toEqual({ out: '', err: expect.stringContaining(`cannot write the report to ${target}: `) as string });
  });
});
