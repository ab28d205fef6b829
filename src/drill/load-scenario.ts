import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { defaultIssueMessage, formatConfigIssue, formatPath, locatePath, positionOfOffset, toPathIssues, type ConfigIssue } from '../config/index.js';
import { DrillError } from './errors.js';
import { scenarioSchema, type Scenario } from './scenario-schema.js';

// Scenario files are read like config files (src/config/loader.ts): YAML with source ranges, the zod
// schema as the single source of truth, and every problem reported as file:line:column field: message.

/** A scenario file that cannot be used; `issues` lists every problem with its position. */
export class ScenarioError extends DrillError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], code: 'EK_DRILL_SCENARIO_INVALID' | 'EK_DRILL_SCENARIO_UNREADABLE' = 'EK_DRILL_SCENARIO_INVALID') {
    super(code, issues.map(formatConfigIssue).join('\n'));
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

/** Reads and validates a scenario file; throws ScenarioError listing every problem. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new ScenarioError([{ file: path, line: 0, column: 0, path: '', message: `cannot read the scenario: ${reason}` }], 'EK_DRILL_SCENARIO_UNREADABLE');
  }
  return parseScenarioText(text, path);
}

/** Parses and validates scenario YAML; `fileName` only labels the issues. */
export function parseScenarioText(text: string, fileName: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ScenarioError(doc.errors.map((error) => ({ file: fileName, ...positionOfOffset(lineCounter, error.pos[0]), path: '', message: `YAML syntax error: ${error.message.split('\n')[0]}` })));
  }
  if (doc.contents === null) throw new ScenarioError([{ file: fileName, line: 1, column: 1, path: '', message: 'expected a scenario mapping (name, title, backends, traffic, phases...), got an empty file' }]);
  const parsed = scenarioSchema.safeParse(doc.toJS({ maxAliasCount: 1000 }), { error: defaultIssueMessage, reportInput: true });
  if (parsed.success) return parsed.data;
  const issues = toPathIssues(parsed.error.issues, scenarioSchema).map((issue) => ({ file: fileName, ...locatePath(doc, lineCounter, issue.path), path: formatPath(issue.path), message: issue.message }));
  throw new ScenarioError(issues.sort((a, b) => a.line - b.line || a.column - b.column));
}
