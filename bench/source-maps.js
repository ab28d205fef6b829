// Maps a position in the built code (dist/bundle/ chunks, minified, or dist/ as tsc writes it) back
// to src/*.ts through the source maps written beside it, for the profilers (profile.js, perf-diff.js).
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));
const sourceMaps = new Map();

function sourceMapOf(file) {
  if (!sourceMaps.has(file)) {
    const mapFile = `${file}.map`;
    sourceMaps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null);
  }
  return sourceMaps.get(file);
}

/**
 * Where `url` at 0-based `line` and `column` comes from: { location: "src/proxy/exchange.ts:123",
 * name: the original identifier there or undefined }, or the file's own "dist/…js:line" without a map.
 */
export function originalPosition(url, line, column) {
  if (!url) return { location: '(native)', name: undefined };
  if (!url.startsWith('file://')) return { location: `${url}:${line + 1}`, name: undefined };
  const file = fileURLToPath(url);
  const entry = sourceMapOf(file)?.findEntry(line, column);
  if (entry?.originalSource) {
    const original = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : join(file, '..', entry.originalSource);
    return { location: `${relative(REPO_DIR, original)}:${entry.originalLine + 1}`, name: entry.name || undefined };
  }
  return { location: `${relative(REPO_DIR, file)}:${line + 1}`, name: undefined };
}
