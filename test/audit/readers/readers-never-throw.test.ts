import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditedConfig, SourcePosition } from '../../../src/audit/model.js';
import { readHaproxyText } from '../../../src/audit/readers/haproxy-reader.js';
import { readNginxText } from '../../../src/audit/readers/nginx-reader.js';

// Property: whatever text a reader is given (random, or a realistic config with lines deleted,
// duplicated or swapped, random bytes spliced in, or cut short), it returns a model instead of
// throwing, and every position it reports is inside the file it names.

const nginxFile = join('test', 'fixtures', 'audit', 'nginx', 'reader-main.conf');
const haproxyFile = join('test', 'fixtures', 'audit', 'haproxy', 'reader-main.cfg');
const fixtures = [readFileSync(nginxFile, 'utf8'), readFileSync(haproxyFile, 'utf8')];

function positionsIn(value: unknown, found: SourcePosition[] = []): SourcePosition[] {
  if (Array.isArray(value)) {
    for (const item of value) positionsIn(item, found);
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record['file'] === 'string' && typeof record['line'] === 'number' && typeof record['column'] === 'number') found.push(record as unknown as SourcePosition);
    else for (const item of Object.values(record)) positionsIn(item, found);
  }
  return found;
}

function expectPositionsInside(config: AuditedConfig, mainFile: string, mainText: string): void {
  // The readers catch anything their parser throws as an "internal error" problem; that is a bug here.
  expect(config.problems.filter((problem) => problem.message.startsWith('internal error'))).toEqual([]);
  for (const at of positionsIn(config)) {
    const text = at.file === mainFile ? mainText : readFileSync(at.file, 'utf8');
    const lines = text.split('\n');
    expect(config.files).toContain(at.file);
    expect(at.line).toBeGreaterThanOrEqual(1);
    expect(at.line).toBeLessThanOrEqual(lines.length);
    expect(at.column).toBeGreaterThanOrEqual(1);
    expect(at.column).toBeLessThanOrEqual(lines[at.line - 1]!.length + 1);
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(text: string, mutations: readonly Mutation[]): string {
  let lines = text.split('\n');
  for (const change of mutations) {
    if (lines.length === 0) break;
    const index = change.at % lines.length;
    if (change.kind === 'delete') lines.splice(index, 1);
    else if (change.kind === 'duplicate') lines.splice(index, 0, lines[index]!);
    else if (change.kind === 'swap') {
      const other = change.with % lines.length;
      [lines[index], lines[other]] = [lines[other]!, lines[index]!];
    } else if (change.kind === 'bytes') {
      const line = lines[index]!;
      const offset = change.at % (line.length + 1);
      lines[index] = line.slice(0, offset) + Buffer.from(change.bytes).toString('latin1') + line.slice(offset);
    } else {
      const joined = lines.join('\n');
      lines = joined.slice(0, change.at % (joined.length + 1)).split('\n');
    }
  }
  return lines.join('\n');
}

/** Text made of the grammars' own pieces, so random input reaches deep into both parsers. */
const grammarText = fc
  .array(fc.constantFrom('upstream', 'server', 'backend', 'defaults', 'listen', 'global', 'frontend', 'from', '{', '}', ';', '"', "'", '\\', '#', '\n', ' ', '\t', 'include', '*.conf', 'location', 'proxy_pass', 'http://a', 'stats', 'socket', 'level', 'admin', 'check', 'weight', '5', 'x', '${a}', '$'), { maxLength: 80 })
  .map((pieces) => pieces.join(''));

const readers = [
  { name: 'NGINX', read: readNginxText, file: nginxFile },
  { name: 'HAProxy', read: readHaproxyText, file: haproxyFile },
];

describe.each(readers)('the $name reader', ({ read, file }) => {
  it('never throws on random text, and every position it reports is inside the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), grammarText), (text) => {
        expectPositionsInside(read(text, file), file, text);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated realistic configs (lines deleted, duplicated, swapped, random bytes, truncated), and every position is inside the file', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fixtures), fc.array(mutation, { minLength: 1, maxLength: 8 }), (fixture, mutations) => {
        const text = mutate(fixture, mutations);
        expectPositionsInside(read(text, file), file, text);
      }),
      { numRuns: 300 },
    );
  });
});
