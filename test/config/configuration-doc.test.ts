import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema, parseConfigText } from '../../src/config/index.js';

// docs/configuration.md is written by hand from schema.ts; these tests catch it falling behind.

const doc = readFileSync('docs/configuration.md', 'utf8');

/** Every key path of the JSON Schema: "pools.<name>.backends[].weight", in schema order. */
function schemaKeyPaths(): string[] {
  const paths: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const schema = node as Record<string, unknown>;
    for (const alternative of [...((schema.anyOf ?? []) as unknown[]), ...((schema.oneOf ?? []) as unknown[])]) walk(alternative, path);
    for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, unknown>)) {
      const childPath = path === '' ? key : `${path}.${key}`;
      paths.push(childPath);
      walk(child, childPath);
    }
    if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${path}.<name>`);
    walk(schema.items, `${path}[]`);
  };
  walk(configJsonSchema(), '');
  return paths;
}

describe('docs/configuration.md', () => {
  it('documents every key of the schema, in the order of the schema', () => {
    const paths = schemaKeyPaths();
    expect(paths.length).toBeGreaterThan(80);
    const missing = paths.filter((path) => !doc.includes(`| \`${path}\` |`));
    expect(missing, 'keys missing from the tables of docs/configuration.md').toEqual([]);
    const positions = paths.map((path) => doc.indexOf(`| \`${path}\` |`));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('documents no key the schema does not have', () => {
    const documented = [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]);
    expect(documented.filter((path) => !schemaKeyPaths().includes(path))).toEqual([]);
  });

  it('gives a complete example that passes config check', () => {
    const example = /## A complete annotated example\n\n```yaml\n([\s\S]*?)```/.exec(doc);
    expect(example).not.toBeNull();
    const config = parseConfigText(example![1], 'docs/configuration.md');
    expect(Object.keys(config.pools)).toEqual(['portal', 'api']);
  });

  it('shows the error format the loader prints', () => {
    expect(doc).toContain('evenkeel.yaml:14:9 pools.portal.backends[2].weight: expected a whole number from 0 to 10000, got -5');
  });
});
