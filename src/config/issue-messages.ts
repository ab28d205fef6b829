import type { z } from 'zod';
import { closestMatch } from './did-you-mean.js';

// Turns zod's issues into messages a config author can act on: each one says what was expected
// and what was got, in YAML's words ("a mapping", "a list") rather than JavaScript's.

/** An issue before it is located in the file: a field path and a message. */
export interface PathIssue {
  path: PropertyKey[];
  message: string;
}

/** Describes a value the way the YAML author wrote it. */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'an empty value';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  if (typeof input === 'string') return JSON.stringify(input);
  return String(input);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/**
 * The per-parse error map: the default message for every issue whose schema does not set its own.
 * Schema-level messages (such as the weight's) take precedence, as zod 4 documents.
 */
export const defaultIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small': {
      const minimum = String(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set') return `expected at least ${minimum} item${minimum === '1' ? '' : 's'}`;
      if (issue.origin === 'string') return `expected at least ${minimum} character${minimum === '1' ? '' : 's'}`;
      return `expected a number ${issue.inclusive ? 'of at least' : 'greater than'} ${minimum}`;
    }
    case 'too_big': {
      const maximum = String(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return `expected at most ${maximum} item${maximum === '1' ? '' : 's'}`;
      if (issue.origin === 'string') return `expected at most ${maximum} character${maximum === '1' ? '' : 's'}`;
      return `expected a number ${issue.inclusive ? 'of at most' : 'less than'} ${maximum}`;
    }
    case 'invalid_format':
      if (issue.format === 'starts_with') return `expected text starting with ${JSON.stringify((issue as { prefix?: string }).prefix ?? '')}`;
      if (issue.format === 'regex') return `expected text matching ${String((issue as { pattern?: unknown }).pattern)}`;
      return `expected text in the ${issue.format} format`;
    case 'invalid_value': {
      const values = issue.values.map((value) => JSON.stringify(value));
      const expected = values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
      const suggestion = typeof issue.input === 'string' ? closestMatch(issue.input, issue.values.map(String)) : undefined;
      return `expected ${expected}, got ${describeInput(issue.input)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ''}`;
    }
    case 'invalid_union':
      return `got ${describeInput(issue.input)}, which matches none of the allowed forms`;
    default:
      return undefined;
  }
};

/**
 * Converts zod's issues into path issues: one issue per unknown key (pointing at that key, with a
 * did-you-mean against the keys allowed there), "missing" for absent required keys, and ", got …"
 * appended wherever the message does not already say what was got.
 */
export function toPathIssues(issues: readonly z.core.$ZodIssue[], rootSchema: z.core.$ZodType): PathIssue[] {
  const result: PathIssue[] = [];
  for (const issue of issues) {
    const path = [...issue.path];
    const input = (issue as { input?: unknown }).input;
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeysAt(rootSchema, path);
      for (const key of issue.keys) {
        const suggestion = closestMatch(key, allowed);
        const hint = suggestion
          ? `; did you mean ${JSON.stringify(suggestion)}?`
          : allowed.length > 0 ? `; expected one of ${allowed.map((name) => JSON.stringify(name)).join(', ')}` : '';
        result.push({ path: [...path, key], message: `unknown key${hint}` });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0];
      message = `invalid name: ${inner ? inner.message : 'not allowed here'}`;
    }
    if (issue.code === 'invalid_type' && input === undefined) {
      message = `missing required key; ${message}`;
    } else if (!/\bgot\b/.test(message)) {
      message = `${message}, got ${describeInput(input)}`;
    }
    result.push({ path, message });
  }
  return result;
}

interface SchemaDef {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
}

function defOf(schema: z.core.$ZodType): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

/** Strips optional/default/prefault wrappers and transforms to reach the schema that checks input. */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  // Bounded by the nesting depth of wrappers, which is small in our schema.
  for (let depth = 0; depth < 32; depth++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else break;
  }
  return current;
}

/** The keys an object schema accepts at `path`, for did-you-mean on unknown keys. */
export function allowedKeysAt(rootSchema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType | undefined = rootSchema;
  for (const segment of path) {
    if (!schema) return [];
    const def = defOf(unwrap(schema));
    if (def.type === 'object' && def.shape) schema = def.shape[String(segment)];
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'record') schema = def.valueType;
    else return [];
  }
  if (!schema) return [];
  const def = defOf(unwrap(schema));
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
