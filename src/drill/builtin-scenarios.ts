import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';
import { DrillError } from './errors.js';
import { loadScenarioFile } from './load-scenario.js';
import type { Scenario } from './scenario-schema.js';

// The scenarios that ship with evenkeel: YAML files in the package's drills/ folder, commented so
// users can copy one (`evenkeel drill show NAME > mine.yaml`) and edit it.

/** The package's drills/ folder (next to bin/ and dist/). */
export const BUILTIN_SCENARIO_DIR = resolve(packageRoot(), 'drills');

export interface BuiltinScenario {
  readonly name: string;
  readonly file: string;
}

/** The built-in scenarios, by name. */
export function listBuiltinScenarios(): BuiltinScenario[] {
  if (!existsSync(BUILTIN_SCENARIO_DIR)) return [];
  return readdirSync(BUILTIN_SCENARIO_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ name: basename(file, '.yaml'), file: join(BUILTIN_SCENARIO_DIR, file) }));
}

/**
 * The file of a scenario given by name (a built-in) or by path (anything with a "/" or ending in
 * .yaml/.yml that exists). Throws EK_DRILL_SCENARIO_NOT_FOUND naming the built-ins otherwise.
 */
export function resolveScenarioFile(nameOrPath: string): string {
  const builtin = listBuiltinScenarios().find((scenario) => scenario.name === nameOrPath);
  if (builtin !== undefined) return builtin.file;
  if (/[\\/]|\.ya?ml$/i.test(nameOrPath) && existsSync(nameOrPath)) return nameOrPath;
  const names = listBuiltinScenarios().map((scenario) => scenario.name);
  throw new DrillError('EK_DRILL_SCENARIO_NOT_FOUND', `no scenario ${JSON.stringify(nameOrPath)}: give a built-in name (${names.join(', ')}) or the path of a scenario file`);
}

/** Loads a scenario by name or path; returns it with the file it came from. */
export function loadScenario(nameOrPath: string): { scenario: Scenario; file: string } {
  const file = resolveScenarioFile(nameOrPath);
  return { scenario: loadScenarioFile(file), file };
}

/** The YAML text of a scenario, as shipped (comments included). */
export function scenarioText(nameOrPath: string): string {
  return readFileSync(resolveScenarioFile(nameOrPath), 'utf8');
}
