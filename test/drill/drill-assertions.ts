import { expect } from 'vitest';
import { loadScenario, runDrill, type DrillResult } from '../../src/drill/index.js';

// Shared by the built-in scenario tests: run a built-in scenario at test speed and read what a user
// reads in the report. The drills start `bin/evenkeel.js serve`, so `npm run build` must have run.

/** The speed the tests run the built-in scenarios at (docs/drills.md, "Speed"). */
export const TEST_SPEED = 4;
/** One drill at test speed takes 25-45 s; the bound leaves room for a busy machine. */
export const DRILL_TEST_TIMEOUT_MS = 150_000;

export async function runBuiltin(name: string): Promise<DrillResult> {
  const { scenario, file } = loadScenario(name);
  return runDrill(scenario, { speed: TEST_SPEED, file });
}

/** The targets and the timeline in a few lines, so a failed verdict says why. */
export function explain(result: DrillResult): string {
  const targets = result.targets.map((target) => `${target.name}: expected ${target.expected}, measured ${target.measured} (${target.passed ? 'pass' : 'FAIL'})`);
  const timeline = result.timeline.map((entry) => `${entry.offsetS} s ${entry.source} ${entry.kind}: ${entry.text.slice(0, 200)}`);
  return [`verdict ${result.verdict}${result.error ? `: ${result.error}` : ''}`, ...targets, ...timeline].join('\n');
}

export function expectPass(result: DrillResult): void {
  expect(result.verdict, explain(result)).toBe('pass');
  expect(result.targets.length).toBeGreaterThan(0);
}

/** The share of requests `backends` received in the drill's "routed from ... to ..." line starting with `prefix`. */
export function routedShare(result: DrillResult, prefix: string, backends: readonly string[]): number {
  const line = result.timeline.find((entry) => entry.kind === 'drill.shares' && entry.text.startsWith(prefix));
  if (line === undefined) throw new Error(`no timeline line starting with ${JSON.stringify(prefix)}:\n${explain(result)}`);
  let share = 0;
  for (const backend of backends) {
    const match = new RegExp(`${backend} (\\d+)%`).exec(line.text);
    share += match === null ? 0 : Number(match[1]) / 100;
  }
  return share;
}

export function eventsOfKind(result: DrillResult, kind: string): DrillResult['events'] {
  return result.events.filter((event) => event.kind === kind);
}
