import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { defaultIssueMessage, toPathIssues, type PathIssue } from './issue-messages.js';
import { configSchema, hashSchema, type Config } from './schema.js';
import { findSemanticIssues } from './semantic.js';
import { locatePath, positionOfOffset } from './source-position.js';

/** The cookie name used by `persistence.by: cookie` when no name is given. */
export const DEFAULT_PERSISTENCE_COOKIE = 'ek_session';

/**
 * Reads and validates a config file. Synchronous on purpose: it runs at start-up and on reload,
 * where the caller wants the whole answer (a config, or every problem) before doing anything else.
 * Throws ConfigError (EK_CONFIG_UNREADABLE) when the file cannot be read and ConfigError
 * (EK_CONFIG_INVALID) listing every issue when it is not a valid config.
 */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ file: path, line: 0, column: 0, path: '', message: `cannot read the config file: ${describeReadError(error)}` }], 'EK_CONFIG_UNREADABLE');
  }
  return parseConfigText(text, path);
}

/**
 * Parses and validates YAML text; `fileName` only labels the issues. Returns the config with every
 * default filled in, durations in milliseconds and sizes in bytes.
 */
export function parseConfigText(text: string, fileName: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (path: readonly PropertyKey[], message: string): ConfigIssue => ({ file: fileName, ...locatePath(doc, lineCounter, path), path: formatPath(path), message });

  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((error) => ({ file: fileName, ...positionOfOffset(lineCounter, error.pos[0]), path: '', message: `YAML syntax error: ${firstLine(error.message)}` })),
    );
  }
  if (doc.contents === null) {
    throw new ConfigError([{ file: fileName, line: 1, column: 1, path: '', message: 'expected a mapping with at least a "pools" section, got an empty file' }]);
  }

  const data: unknown = doc.toJS({ maxAliasCount: 1000 });
  const parsed = configSchema.safeParse(data, { error: defaultIssueMessage, reportInput: true });
  if (!parsed.success) throw new ConfigError(sortIssues(toPathIssues(parsed.error.issues, configSchema).map((issue) => at(issue.path, issue.message))));

  const config = parsed.data;
  const semanticIssues: PathIssue[] = findSemanticIssues(config);
  if (semanticIssues.length > 0) throw new ConfigError(sortIssues(semanticIssues.map((issue) => at(issue.path, issue.message))));
  fillDependentDefaults(config);
  return config;
}

/** Defaults that depend on another field, which the schema cannot express on its own. */
function fillDependentDefaults(config: Config): void {
  for (const pool of Object.values(config.pools)) {
    if (pool.persistence.by === 'cookie' && pool.persistence.name === undefined) pool.persistence.name = DEFAULT_PERSISTENCE_COOKIE;
    // Consumers can read pool.hash whenever the algorithm is hash, without repeating the defaults.
    if (pool.algorithm === 'hash' && pool.hash === undefined) pool.hash = hashSchema.parse({});
  }
}

/** "pools.portal.backends[2].weight"; keys that are not plain names are quoted: headers["x.y"]. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(segment))) text += text === '' ? String(segment) : `.${String(segment)}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

function firstLine(message: string): string {
  // yaml's messages may carry a source excerpt after the first line and a position we print ourselves.
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '').trim();
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory, expected a YAML file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return error instanceof Error ? error.message : String(error);
}
