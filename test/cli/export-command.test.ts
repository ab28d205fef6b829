import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// `evenkeel export prometheus-rules` through the built bin (npm test builds first), checked by promtool.

const BIN = resolve(import.meta.dirname, '../../bin/evenkeel.js');

function evenkeel(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'evenkeel-export-'));
}

const CONFIG = `listen: { http: "127.0.0.1:8080" }
pools:
  portal:
    backends:
      - { id: web-1, url: "http://127.0.0.1:8001" }
      - { id: web-2, url: "http://127.0.0.1:8002" }
routes:
  - { match: { host: "portal.example.com" }, pool: portal }
monitor:
  skew: { max_share_ratio: 1.8, min_requests: 500, for: 5s }
  errors: { max_error_rate: 0.02 }
`;

describe('evenkeel export prometheus-rules', () => {
  it('writes a rules file with the thresholds of --config that promtool check rules accepts', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'evenkeel.yaml'), CONFIG);
    const output = join(dir, 'rules.yml');
    const result = evenkeel('export', 'prometheus-rules', '--config', join(dir, 'evenkeel.yaml'), '--output', output);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe(`wrote 14 alerting rules to ${output}\n`);
    expect(result.stdout).toBe('');

    const rules = parse(readFileSync(output, 'utf8')).groups[0].rules as { alert: string; expr: string; for: string }[];
    const skew = rules.find((rule) => rule.alert === 'EvenkeelSkew')!;
    expect(skew.expr).toContain('(1.8 * ');
    expect(skew.expr).toContain('>= 500');
    expect(skew.for).toBe('5s');
    expect(rules.find((rule) => rule.alert === 'EvenkeelErrors')!.expr).toContain('> 0.02\n');

    const check = spawnSync('promtool', ['check', 'rules', output], { encoding: 'utf8' });
    expect(check.error, 'promtool is missing: apt-get install prometheus (bash .ci/run does this)').toBeUndefined();
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it('prints the rules with the documented defaults to standard output without --config', () => {
    const result = evenkeel('export', 'prometheus-rules');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# Prometheus alerting rules/);
    const skew = (parse(result.stdout).groups[0].rules as { alert: string; expr: string }[]).find((rule) => rule.alert === 'EvenkeelSkew')!;
    expect(skew.expr).toContain('(1.5 * ');
  });

  it('refuses an invalid config with the same FILE:LINE:COLUMN message as config check, exit 2', () => {
    const dir = tempDir();
    const file = join(dir, 'evenkeel.yaml');
    writeFileSync(file, CONFIG.replace('max_share_ratio: 1.8', 'max_share_ratio: 0.5'));
    const result = evenkeel('export', 'prometheus-rules', '--config', file);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^${file.replaceAll('/', '\\/')}:10:\\d+ monitor\\.skew\\.max_share_ratio: expected a ratio above 1`));
  });

  it('rejects a scrape interval that is not a duration, exit 2', () => {
    const result = evenkeel('export', 'prometheus-rules', '--scrape-interval', 'often');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('expected a duration of at least 1s');
  });
});
