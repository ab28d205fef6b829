import { readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ReadProblem } from '../model.js';
import { parseNginxText, type NginxDirective } from './nginx-syntax.js';

// `include` as NGINX resolves it: a relative path is taken from the config directory (here: the main
// file's directory), and a pattern with * ? or [..] is expanded like glob(3), in sorted order, and
// may match nothing. The included directives take the place of the `include` in its block. The
// glob is by hand (directory listing plus a per-segment pattern) because Node 20's fs.glob and
// path.matchesGlob are experimental and print a warning on every run of the CLI.

/** Nesting deeper than this is a loop NGINX would also refuse ("too many includes"). */
const MAX_INCLUDE_DEPTH = 16;

export interface IncludeContext {
  readonly configDirectory: string;
  readonly readFile: (path: string) => string;
  readonly problems: ReadProblem[];
  /** Every file read, main file first. */
  readonly files: string[];
}

/** Replaces every `include` in the tree (at any depth) with the directives of the files it names. */
export function expandIncludes(directives: NginxDirective[], context: IncludeContext, chain: readonly string[]): NginxDirective[] {
  const expanded: NginxDirective[] = [];
  for (const directive of directives) {
    if (directive.block !== undefined) {
      expanded.push({ ...directive, block: expandIncludes(directive.block, context, chain) });
      continue;
    }
    expanded.push(directive);
    if (directive.name !== 'include' || directive.args.length !== 1) continue;
    const pattern = directive.args[0]!.value;
    const path = isAbsolute(pattern) ? pattern : join(context.configDirectory, pattern);
    const isGlob = /[*?[]/.test(pattern);
    const paths = isGlob ? expandGlob(path) : [path];
    for (const includedPath of paths) {
      if (chain.includes(resolve(includedPath)) || chain.length > MAX_INCLUDE_DEPTH) {
        context.problems.push({ message: `include "${pattern}" includes ${includedPath} again (an include loop)`, at: directive.args[0]!.at });
        continue;
      }
      let text: string;
      try {
        text = context.readFile(includedPath);
      } catch (error) {
        context.problems.push({ message: `cannot read included file ${includedPath}: ${error instanceof Error ? error.message : String(error)}`, at: directive.args[0]!.at });
        continue;
      }
      if (!context.files.includes(includedPath)) context.files.push(includedPath);
      const included = parseNginxText(text, includedPath, context.problems);
      expanded.push(...expandIncludes(included, context, [...chain, resolve(includedPath)]));
    }
  }
  return expanded;
}

/** Files matching a glob(3) pattern, sorted, relative when the pattern is; directories that cannot be listed match nothing. */
export function expandGlob(pattern: string): string[] {
  const absolute = resolve(pattern);
  const root = absolute.startsWith(sep) ? sep : `${absolute.split(sep)[0]}${sep}`;
  const segments = absolute.slice(root.length).split(sep).filter((segment) => segment !== '');
  let candidates = [root];
  for (const segment of segments) {
    const next: string[] = [];
    const matcher = /[*?[]/.test(segment) ? segmentPattern(segment) : undefined;
    for (const directory of candidates) {
      if (matcher === undefined) {
        next.push(join(directory, segment));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(directory);
      } catch {
        continue; // glob(3) skips directories it cannot read; NGINX reports no error for an empty match
      }
      for (const name of names.sort()) {
        if (matcher.test(name) && !(name.startsWith('.') && !segment.startsWith('.'))) next.push(join(directory, name));
      }
    }
    candidates = next;
  }
  const matches = candidates.filter((candidate) => candidate !== root && dirname(candidate) !== candidate);
  return isAbsolute(pattern) ? matches : matches.map((match) => relative(process.cwd(), match));
}

function segmentPattern(segment: string): RegExp {
  let source = '';
  for (let index = 0; index < segment.length; index += 1) {
    const char = segment[index]!;
    if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const close = segment.indexOf(']', index + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      const body = segment.slice(index + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
      source += `[${body}]`;
      index = close;
    } else source += char.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  try {
    return new RegExp(`^${source}$`);
  } catch {
    return { test: (name: string) => name === segment } as RegExp; // a malformed class such as "[z-a]" matches only itself
  }
}
