import { describe, expect, it } from 'vitest';
import { listBuiltinScenarios, loadScenarioFile, parseScenarioText, ScenarioError } from '../../src/drill/index.js';

// A scenario file is written by hand, often by copying a built-in one: every mistake must come back
// as file:line:column, the field, and what was expected, like a config file's.

const VALID = `name: mine
title: A drill of my own
backends:
  ids: [web-1, web-2, web-3]
traffic:
  rate: 50
phases:
  warmup: 10s
  fault:
    kind: crash
    backends: [web-2]
`;

function issuesOf(text: string): ScenarioError['issues'] {
  try {
    parseScenarioText(text, 'mine.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as ScenarioError).issues;
  }
  throw new Error('expected the scenario to be refused');
}

describe('scenario files', () => {
  it('reads a minimal scenario and fills the defaults a user would expect', () => {
    const scenario = parseScenarioText(VALID, 'mine.yaml');
    expect(scenario.traffic).toMatchObject({ rate: 50, sessions: 2000, slo: 500, timeout: 5000 });
    expect(scenario.phases).toMatchObject({ warmup: 10_000, observe: 20_000, detect_timeout: 60_000, prelude: [] });
    expect(scenario.mitigation).toEqual({ kind: 'none' });
    expect(scenario.backends.capacity).toEqual({ max_concurrency: 8, service_time: { median: 10, p99: 50 }, error_rate: 0 });
  });

  it('names the file, line, column and field of a misspelt key, with a suggestion', () => {
    const issues = issuesOf(VALID.replace('  rate: 50', '  rate: 50\n  sesions: 10'));
    expect(issues).toEqual([expect.objectContaining({ file: 'mine.yaml', line: 7, column: 3, path: 'traffic.sesions' })]);
    expect(issues[0].message).toMatch(/did you mean "sessions"/);
  });

  it('points at a fault backend that the scenario does not start', () => {
    const issues = issuesOf(VALID.replace('backends: [web-2]', 'backends: [web-9]'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ line: 11, path: 'phases.fault.backends[0]' });
    expect(issues[0].message).toMatch(/unknown backend "web-9"; the backends are web-1, web-2, web-3/);
  });

  it('refuses an unknown fault kind and lists the kinds', () => {
    const issues = issuesOf(VALID.replace('kind: crash', 'kind: explode'));
    expect(issues[0]).toMatchObject({ line: 10, path: 'phases.fault.kind' });
    expect(issues[0].message).toMatch(/change, change_stream, crash, slow, flap or traffic/);
  });

  it('checks a monitor override against the node\'s own schema at its line in the scenario', () => {
    const issues = issuesOf(`${VALID}monitor:\n  skew:\n    window: soon\n`);
    expect(issues).toEqual([expect.objectContaining({ line: 14, path: 'monitor.skew.window' })]);
    expect(issues[0].message).toMatch(/duration/);
  });

  it('reports a bad duration and a target without its expectation together, in file order', () => {
    const issues = issuesOf(VALID.replace('warmup: 10s', 'warmup: ten') + 'targets:\n  detect_s: 10\n');
    expect(issues.map((issue) => [issue.line, issue.path])).toEqual([
      [8, 'phases.warmup'],
      [13, 'targets.detect_s'],
    ]);
    expect(issues[1].message).toMatch(/expect\.alert/);
  });

  it('gives the position of a YAML syntax error', () => {
    const issues = issuesOf('name: x\ntitle: [unclosed\n');
    expect(issues[0].file).toBe('mine.yaml');
    expect(issues[0].line).toBeGreaterThan(0);
    expect(issues[0].message).toMatch(/YAML syntax error/);
  });

  it('says when a file cannot be read', () => {
    expect(() => loadScenarioFile('/nonexistent/drill.yaml')).toThrow(/drill\.yaml: cannot read the scenario: no such file/);
  });

  it('ships six built-in scenarios, each valid and named after its file', () => {
    const builtins = listBuiltinScenarios();
    expect(builtins.map((builtin) => builtin.name)).toEqual(['backend-crash', 'flapping-health', 'postmortem-2024-05-01', 'slow-backend', 'traffic-spike', 'weight-script-runaway']);
    for (const builtin of builtins) expect(loadScenarioFile(builtin.file).name).toBe(builtin.name);
  });
});
