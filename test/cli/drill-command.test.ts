import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../src/drill/index.js';

// `evenkeel drill list|show` and the usage errors of `drill run`, through the built binary (npm run
// build first). Running drills end to end is test/drill/builtin-scenarios-*.test.ts's job.

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/evenkeel.js');

function evenkeel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('evenkeel drill', () => {
  it('lists the six built-in scenarios with their titles', () => {
    const { status, stdout } = evenkeel('drill', 'list');
    expect(status).toBe(0);
    for (const name of ['postmortem-2024-05-01', 'weight-script-runaway', 'backend-crash', 'slow-backend', 'flapping-health', 'traffic-spike']) {
      expect(stdout).toMatch(new RegExp(`^${name} +\\S`, 'm'));
    }
    expect(stdout).toMatch(/2 of 5 servers take 80% of the traffic/);
  });

  it('shows a scenario as its commented YAML, which reads back as the same scenario', () => {
    const { status, stdout } = evenkeel('drill', 'show', 'postmortem-2024-05-01');
    expect(status).toBe(0);
    expect(stdout).toBe(readFileSync(join(ROOT, 'drills/postmortem-2024-05-01.yaml'), 'utf8'));
    expect(stdout).toMatch(/^# /m);
    expect(parseScenarioText(stdout, 'copy.yaml').name).toBe('postmortem-2024-05-01');
  });

  it('exits 2 naming the built-ins when a scenario does not exist', () => {
    const { status, stderr } = evenkeel('drill', 'run', 'postmortem-2025');
    expect(status).toBe(2);
    expect(stderr).toMatch(/no scenario "postmortem-2025": give a built-in name \(backend-crash, .*\) or the path of a scenario file/);
  });

  it('exits 2 with file:line:column and the field of a bad scenario file, before starting anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-drill-cli-'));
    const file = join(dir, 'mine.yaml');
    writeFileSync(file, readFileSync(join(ROOT, 'drills/traffic-spike.yaml'), 'utf8').replace('rate_factor: 3', 'rate_factor: 3\n    duration: 10s'));
    const { status, stderr, stdout } = evenkeel('drill', 'run', file);
    expect(status).toBe(2);
    expect(stderr).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:5 phases\\.fault\\.duration: unknown key`));
    expect(stdout).toBe('');
  });

  it('refuses a speed that is not a positive number with exit 2', () => {
    const { status, stderr } = evenkeel('drill', 'run', 'traffic-spike', '--speed', '0');
    expect(status).toBe(2);
    expect(stderr).toMatch(/--speed.*expected a number above 0/);
  });

  // A short drill of a crash: the live config does not move (pass), but no traffic_drop alert can
  // fire within 1 s (fail). Both runs start a real node; each takes a few seconds.
  const SHORT = (targets: string) => `name: short-crash
title: A short crash drill
backends: { ids: [web-1, web-2, web-3] }
traffic: { rate: 20 }
phases:
  warmup: 2s
  fault: { kind: crash, backends: [web-3] }
  detect_timeout: 1s
  observe: 1s
${targets}`;

  it('runs a passing drill with exit 0 and prints the result as JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-drill-cli-'));
    writeFileSync(join(dir, 'pass.yaml'), SHORT('targets: { config_unchanged: true }\n'));
    const { status, stdout } = evenkeel('drill', 'run', join(dir, 'pass.yaml'), '--json', '--no-store');
    expect(status).toBe(0);
    const result = JSON.parse(stdout) as { verdict: string; targets: { name: string; passed: boolean }[]; scenario: { name: string } };
    expect(result).toMatchObject({ verdict: 'pass', scenario: { name: 'short-crash' }, targets: [{ name: 'config_unchanged', passed: true }] });
  }, 60_000);

  it('runs a failing drill with exit 1, writes the report and records the run for drill history', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evenkeel-drill-cli-'));
    writeFileSync(join(dir, 'fail.yaml'), SHORT('expect: { alert: [traffic_drop] }\ntargets: { detect_s: 1 }\n'));
    const store = `sqlite://${join(dir, 'drills.db')}`;
    const { status, stdout } = evenkeel('drill', 'run', join(dir, 'fail.yaml'), '--report', join(dir, 'report'), '--store', store);
    expect(status).toBe(1);
    expect(stdout).toMatch(/^detect_s +traffic_drop fires <= 1 s +never +FAIL$/m);
    expect(stdout).toMatch(/^FAIL short-crash in \d+ s; report in .*report; recorded as run 1$/m);
    expect(readFileSync(join(dir, 'report/drill-report.md'), 'utf8')).toMatch(/short-crash/);
    expect(existsSync(join(dir, 'report/drill-report.json'))).toBe(true);
    const history = evenkeel('drill', 'history', 'short-crash', '--store', store);
    expect(history.status).toBe(0);
    expect(history.stdout).toMatch(/short-crash: 1 run/);
    expect(history.stdout).toMatch(/FAIL +no alert/);
  }, 60_000);
});
