import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXIT_INVALID, runConfigCheck } from '../../src/cli/config-command.js';
import { configJsonSchema } from '../../src/config/index.js';

const run = promisify(execFile);

function collect() {
  const output = { out: '', err: '' };
  return { output, sink: { out: (text: string) => { output.out += text; }, err: (text: string) => { output.err += text; } } };
}

/** Runs the built `evenkeel` bin in a child process; resolves with its exit code and output. */
async function evenkeel(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/evenkeel.js', ...args], { timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('evenkeel config check', () => {
  it('returns 0 for a valid file and 2 with the located message for an invalid one', () => {
    const valid = collect();
    expect(runConfigCheck(['test/fixtures/config/valid.yaml'], valid.sink)).toBe(0);
    expect(valid.output.out).toMatch(/^test\/fixtures\/config\/valid\.yaml: ok \(2 pools, 3 backends, 2 routes\)\n$/);
    const invalid = collect();
    expect(runConfigCheck(['test/fixtures/config/valid.yaml', 'test/fixtures/config/negative-weight.yaml'], invalid.sink)).toBe(EXIT_INVALID);
    expect(EXIT_INVALID).toBe(2);
    expect(invalid.output.err).toBe('test/fixtures/config/negative-weight.yaml:14:9 pools.portal.backends[2].weight: expected a whole number from 0 to 10000, got -5\n');
  });

  it('exits 0 and 2 from the real command line', async () => {
    const ok = await evenkeel('config', 'check', 'test/fixtures/config/valid.yaml');
    expect(ok.code).toBe(0);
    const bad = await evenkeel('config', 'check', 'test/fixtures/config/unknown-key.yaml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('test/fixtures/config/unknown-key.yaml:3:5 pools.portal.algoritm: unknown key; did you mean "algorithm"?');
    const missing = await evenkeel('config', 'check', 'test/fixtures/config/nope.yaml');
    expect(missing.code).toBe(2);
  }, 30_000);

  it('accepts every file in examples/', () => {
    // examples/standards.yaml is an audit standards file (docs/audit-rules.md), not an evenkeel config.
    const files = readdirSync('examples').filter((name) => name.endsWith('.yaml') && name !== 'standards.yaml').map((name) => `examples/${name}`);
    expect(files).toContain('examples/basic.yaml');
    const result = collect();
    expect(runConfigCheck(files, result.sink), result.output.err).toBe(0);
  });
});

describe('evenkeel config schema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const validate = ajv.compile(configJsonSchema());

  it('is a valid draft 2020-12 JSON Schema', () => {
    expect(configJsonSchema().$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(configJsonSchema())).toBe(true);
  });

  it('accepts the example configs as written', () => {
    for (const file of ['examples/demo.yaml', 'examples/basic.yaml']) {
      expect(validate(parse(readFileSync(file, 'utf8'))), `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('rejects a file with an unknown key and a negative weight', () => {
    expect(validate(parse(readFileSync('test/fixtures/config/negative-weight.yaml', 'utf8')))).toBe(false);
    expect(validate(parse(readFileSync('test/fixtures/config/unknown-key.yaml', 'utf8')))).toBe(false);
    expect(validate({ pools: { portal: { backends: [{ id: 'web-1', url: 'http://10.0.0.11:8000' }] } }, proxy: { timeouts: { connect: '5 s' } } })).toBe(false);
  });

  it('is printed by the real command', async () => {
    const result = await evenkeel('config', 'schema');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(configJsonSchema());
  }, 30_000);
});
