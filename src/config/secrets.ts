import { parseDocument } from 'yaml';
import type { Config } from './schema.js';

// Secrets in the config (the cookie signing key, webhook signing keys) are write-only through the
// admin API: every token can read the live config and its versions, and a viewer token must not be
// able to forge sticky cookies or webhook signatures with what it reads. Responses carry
// REDACTED_SECRET instead; a proposed config that still carries the placeholder keeps the live value,
// so "read the config, edit a weight, propose it back" works without ever seeing the secret.

/** Stands in for a secret in API responses; long enough to pass the schema's minimum length. */
export const REDACTED_SECRET = '[redacted: unchanged]';

/** Where secrets live, as paths of keys; '*' is every item of a list. */
const SECRET_PATHS: readonly (readonly string[])[] = [
  ['proxy', 'cookie_secret'],
  ['monitor', 'webhooks', '*', 'secret'],
];

/** A copy of the config with every secret set replaced by REDACTED_SECRET. */
export function redactConfigSecrets<T>(config: T): T {
  const copy = structuredClone(config) as unknown;
  for (const path of SECRET_PATHS) visitSecrets(copy, path, (holder, key) => (holder[key] = REDACTED_SECRET));
  return copy as T;
}

/** The YAML text with every secret value replaced by REDACTED_SECRET; comments and layout stay. */
export function redactYamlSecrets(text: string): string {
  const document = parseDocument(text);
  if (document.errors.length > 0) return text.replace(/^(\s*(?:cookie_secret|secret)\s*:).*$/gm, `$1 "${REDACTED_SECRET}"`);
  let isChanged = false;
  const plain = document.toJS() as unknown;
  for (const path of SECRET_PATHS) {
    visitSecrets(plain, path, (_holder, _key, concretePath) => {
      document.setIn(concretePath, REDACTED_SECRET);
      isChanged = true;
    });
  }
  return isChanged ? document.toString() : text;
}

/**
 * The proposed config with every REDACTED_SECRET placeholder replaced by the live config's value at
 * the same path. Returns the paths that carry the placeholder but have no live value to keep.
 */
export function restoreRedactedSecrets(proposed: Config, live: Config): { config: Config; missing: string[] } {
  const config = structuredClone(proposed);
  const missing: string[] = [];
  for (const path of SECRET_PATHS) {
    visitSecrets(config, path, (holder, key, concretePath) => {
      if (holder[key] !== REDACTED_SECRET) return;
      const kept = valueAt(live, concretePath);
      if (typeof kept === 'string') holder[key] = kept;
      else missing.push(concretePath.join('.'));
    });
  }
  return { config, missing };
}

type Holder = Record<string | number, unknown>;

/** Calls `visit` for every secret present along `path` (a string value), with its concrete path. */
function visitSecrets(root: unknown, path: readonly string[], visit: (holder: Holder, key: string | number, concretePath: (string | number)[]) => void, prefix: (string | number)[] = []): void {
  if (typeof root !== 'object' || root === null) return;
  const [head, ...rest] = path;
  if (head === '*') {
    if (!Array.isArray(root)) return;
    root.forEach((item, index) => visitSecrets(item, rest, visit, [...prefix, index]));
    return;
  }
  const holder = root as Holder;
  if (rest.length === 0) {
    if (typeof holder[head] === 'string') visit(holder, head, [...prefix, head]);
    return;
  }
  visitSecrets(holder[head], rest, visit, [...prefix, head]);
}

function valueAt(root: unknown, path: readonly (string | number)[]): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Holder)[key];
  }
  return node;
}
