import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { locatePath, positionOfOffset } from '../config/index.js';
import { SEVERITIES } from './finding.js';
import type { ReadProblem } from './model.js';
import { AUDIT_RULES } from './rules/index.js';

// A team's written standards (docs/audit-rules.md, "Writing your standards"): rules on or off,
// severities, thresholds, and required settings of their own. Validated like evenkeel.yaml: zod at the
// edge, every problem with file:line:column.

const severity = z.enum(SEVERITIES, { error: (issue) => `expected a severity (error, warning, note), got ${JSON.stringify(issue.input)}` });

const ruleSetting = z.union(
  [
    z.enum(['on', 'off', ...SEVERITIES]),
    z.boolean(),
    z.strictObject({
      enabled: z.boolean({ error: 'expected true or false' }).optional(),
      severity: severity.optional(),
      thresholds: z.record(z.string(), z.number({ error: 'expected a number' })).optional(),
    }),
  ],
  { error: (issue) => `expected on, off, a severity or { enabled, severity, thresholds }, got ${JSON.stringify(issue.input)}` },
);

const pattern = z.string().refine(
  (text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `expected a regular expression, got ${JSON.stringify(issue.input)}` },
);

export const requiredSettingSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_.-]{0,31}$/, { error: 'expected an id such as "STD001"' }),
  kind: z.enum(['evenkeel', 'nginx', 'haproxy'], { error: 'expected evenkeel, nginx or haproxy' }).optional(),
  key: z.string().min(1, { error: 'expected a directive name or config path' }),
  scope: pattern.optional(),
  args: pattern.optional(),
  message: z.string().min(1, { error: 'expected a message saying why the setting is required' }),
  hint: z.string().optional(),
  severity: severity.default('warning'),
});

export const standardsSchema = z.strictObject({
  rules: z.record(z.string(), ruleSetting).default({}),
  required: z.array(requiredSettingSchema).default([]),
});

export type Standards = z.output<typeof standardsSchema>;
export type RequiredSetting = Standards['required'][number];

/** No changes: every rule on at its default severity and thresholds. */
export const DEFAULT_STANDARDS: Standards = { rules: {}, required: [] };

/** A standards file that cannot be used; every problem has a position. */
export class StandardsError extends Error {
  readonly code = 'EK_STANDARDS_INVALID';
  readonly problems: readonly ReadProblem[];

  constructor(problems: readonly ReadProblem[]) {
    super(problems.map((problem) => `${problem.at.file}:${problem.at.line}:${problem.at.column}: ${problem.message}`).join('\n'));
    this.name = 'StandardsError';
    this.problems = problems;
  }
}

/** Reads and validates a standards file; throws StandardsError naming file:line:column of every problem. */
export function loadStandards(file: string): Standards {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StandardsError([{ message: `cannot read the standards file: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 0, column: 0 } }]);
  }
  return parseStandardsText(text, file);
}

/** Same as loadStandards, from text. */
export function parseStandardsText(text: string, file: string): Standards {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new StandardsError(doc.errors.map((error) => ({ message: `YAML syntax error: ${error.message.split('\n')[0]}`, at: { file, ...positionOfOffset(lineCounter, error.pos[0]) } })));
  }
  const at = (path: readonly PropertyKey[]) => ({ file, ...locatePath(doc, lineCounter, path) });
  const parsed = standardsSchema.safeParse(doc.contents === null ? {} : doc.toJS());
  if (!parsed.success) {
    throw new StandardsError(parsed.error.issues.map((issue) => ({ message: `${issue.path.map(String).join('.') || 'standards'}: ${issue.message}`, at: at(issue.path) })));
  }
  const problems: ReadProblem[] = [];
  const known = new Map(AUDIT_RULES.map((rule) => [rule.id, rule]));
  for (const [id, setting] of Object.entries(parsed.data.rules)) {
    const rule = known.get(id);
    if (rule === undefined) {
      problems.push({ message: `rules.${id}: no audit rule has this id (known: ${[...known.keys()].join(', ')})`, at: at(['rules', id]) });
      continue;
    }
    if (typeof setting !== 'object') continue;
    for (const name of Object.keys(setting.thresholds ?? {})) {
      if (name in rule.thresholds) continue;
      const names = Object.keys(rule.thresholds);
      problems.push({ message: `rules.${id}.thresholds.${name}: ${id} has ${names.length === 0 ? 'no thresholds' : `no such threshold (it has ${names.join(', ')})`}`, at: at(['rules', id, 'thresholds', name]) });
    }
  }
  const requiredIds = new Set<string>();
  parsed.data.required.forEach((required, index) => {
    if (known.has(required.id) || requiredIds.has(required.id)) problems.push({ message: `required[${index}].id: ${required.id} is already used; give every required setting its own id`, at: at(['required', index, 'id']) });
    requiredIds.add(required.id);
  });
  if (problems.length > 0) throw new StandardsError(problems);
  return parsed.data;
}
