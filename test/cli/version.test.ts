import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, packageVersion } from '../../src/package-root.js';

// The built command runs from dist/bundle/ (scripts/bundle.js), which sits deeper than src/ and
// dist/: it must still find the package (its version here, its dashboard and drills elsewhere).

const ROOT = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('evenkeel --version', () => {
  it("prints package.json's version, from the bundled command", () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'bin/evenkeel.js'), '--version'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(`${manifest.version}\n`);
  });

  it('finds the package root and version from src/ as well', () => {
    expect(packageRoot()).toBe(ROOT);
    expect(packageVersion()).toBe(manifest.version);
  });
});
