import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Where evenkeel's package lives (bin/, dist/, drills/, package.json), found from wherever this code
// runs: src/ under the tests, dist/ as tsc writes it, or a chunk of dist/bundle/ (scripts/bundle.js).
// Those sit at different depths, so the root is the nearest folder above that holds evenkeel's own
// package.json, looked up once.

const PACKAGE_NAME = 'evenkeel';
/** src/, dist/ or dist/bundle/ is at most this many folders below the root. */
const MAX_DEPTH = 4;

interface PackageManifest {
  readonly root: string;
  readonly version: string;
}

let manifest: PackageManifest | undefined;

function readManifest(dir: string): PackageManifest | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  if (parsed.name !== PACKAGE_NAME) return undefined;
  return { root: dir, version: typeof parsed.version === 'string' ? parsed.version : '0.0.0' };
}

function findManifest(): PackageManifest {
  let dir = import.meta.dirname;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    const found = readManifest(dir);
    if (found !== undefined) return found;
    dir = dirname(dir);
  }
  throw new Error(`evenkeel's package.json was not found in ${import.meta.dirname} or the ${MAX_DEPTH} folders above it`);
}

/** The package's root folder (absolute). Throws when evenkeel's package.json is not above this file. */
export function packageRoot(): string {
  manifest ??= findManifest();
  return manifest.root;
}

/** evenkeel's version, from its package.json. */
export function packageVersion(): string {
  manifest ??= findManifest();
  return manifest.version;
}
