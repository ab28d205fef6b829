import { readFileSync } from 'node:fs';
import type { AdminInterface, AuditedConfig, AuditedPool, ReadProblem, Setting } from '../model.js';
import { poolOfBackend } from './haproxy-backend.js';
import { parseHaproxyText, type HaproxyLine, type HaproxySection } from './haproxy-syntax.js';
import { isLoopbackAddress } from './listen-address.js';

// The HAProxy reader: `backend` and `listen` sections become pools, each with the lines of the
// defaults section it inherits placed before its own. A proxy inherits the last `defaults` section
// above it, named or not (HAProxy: "default parameters are reset by the next defaults section"),
// or the one it names with `from`; a defaults section may itself start `from` another. Stats pages
// in frontends/listens and runtime sockets in `global` become admin interfaces.

/** Reads a haproxy.cfg file; never throws. */
export function readHaproxyConfig(file: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): AuditedConfig {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    return { kind: 'haproxy', file, files: [file], pools: [], admin: [], settings: [], problems: [{ message: `cannot read the config file: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 0, column: 0 } }] };
  }
  return readHaproxyText(text, file);
}

/** Same as readHaproxyConfig, from text. */
export function readHaproxyText(text: string, file: string): AuditedConfig {
  const problems: ReadProblem[] = [];
  try {
    const sections = parseHaproxyText(text, file, problems);
    const settings: Setting[] = sections.flatMap((section) => section.lines.map((line) => ({ key: line.key, args: line.args.map((arg) => arg.value), scope: section.scope, at: line.at })));
    const inheritedBy = resolveDefaults(sections, problems);
    const stickTableOf = (name: string) => sections.find((section) => section.name === name && section.kind !== 'defaults')?.lines.filter((line) => line.key === 'stick-table').pop();
    const pools: AuditedPool[] = [];
    const admin: AdminInterface[] = [];
    for (const section of sections) {
      if (section.kind === 'global') admin.push(...runtimeSocketsOf(section));
      if (section.kind !== 'backend' && section.kind !== 'listen' && section.kind !== 'frontend') continue;
      const lines = [...(inheritedBy.get(section) ?? []), ...section.lines];
      if (isPool(section)) pools.push(poolOfBackend(section.name ?? '', section.at, lines, stickTableOf));
      const stats = statsPageOf(section, lines, section.kind === 'backend' ? addressesRoutingTo(section.name, sections) : bindAddressesOf(section));
      if (stats !== undefined) admin.push(stats);
    }
    return { kind: 'haproxy', file, files: [file], pools, admin, settings, problems };
  } catch (error) {
    // The parser is written not to throw; this keeps the promise if a bug proves otherwise.
    problems.push({ message: `internal error while reading: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 1, column: 1 } });
    return { kind: 'haproxy', file, files: [file], pools: [], admin: [], settings: [], problems };
  }
}

/**
 * Backends balance traffic, except one with no server that only holds a `stick-table` for others
 * (`stick on src table NAME`); a `listen` with no server only serves stats or redirects.
 */
function isPool(section: HaproxySection): boolean {
  const hasServers = section.lines.some((line) => line.key === 'server' || line.key === 'server-template');
  if (section.kind === 'listen') return hasServers;
  return section.kind === 'backend' && (hasServers || !section.lines.some((line) => line.key === 'stick-table'));
}

/** The defaults lines each proxy section inherits, in order. */
function resolveDefaults(sections: readonly HaproxySection[], problems: ReadProblem[]): Map<HaproxySection, HaproxyLine[]> {
  const inheritedBy = new Map<HaproxySection, HaproxyLine[]>();
  const namedDefaults = new Map<string, HaproxyLine[]>();
  let lastDefaults: HaproxyLine[] = [];
  for (const section of sections) {
    if (!['defaults', 'frontend', 'backend', 'listen'].includes(section.kind)) continue;
    let inherited: HaproxyLine[];
    if (section.from !== undefined) {
      const named = namedDefaults.get(section.from.value);
      if (named === undefined) problems.push({ message: `"from ${section.from.value}" names no defaults section defined above`, at: section.from.at });
      inherited = named ?? [];
    } else {
      inherited = section.kind === 'defaults' ? [] : lastDefaults;
    }
    inheritedBy.set(section, inherited);
    if (section.kind === 'defaults') {
      lastDefaults = [...inherited, ...section.lines];
      if (section.name !== undefined) namedDefaults.set(section.name, lastDefaults);
    }
  }
  return inheritedBy;
}

/** `stats socket PATH|[ipv4@]ADDR:PORT [level user|operator|admin]`: the runtime API, which has no authentication of its own. */
function runtimeSocketsOf(global: HaproxySection): AdminInterface[] {
  return global.lines
    .filter((line) => line.key === 'stats socket' && line.args[0] !== undefined)
    .map((line) => {
      const words = line.args.map((arg) => arg.value);
      const level = words[words.indexOf('level') + 1];
      const address = words[0]!;
      return { kind: 'haproxy-runtime-socket', address, isLoopbackOnly: isLoopbackAddress(address), hasAuthentication: false, canChangeState: words.includes('level') && level === 'admin', at: line.at };
    });
}

/** `bind` lines, plus the old `listen NAME ADDR:PORT` header form; "a,b" binds several addresses. */
function bindAddressesOf(section: HaproxySection): string[] {
  return [...section.lines.filter((line) => line.key === 'bind').map((line) => line.args[0]?.value ?? ''), ...section.headerArgs.map((arg) => arg.value)]
    .flatMap((value) => value.split(','))
    .filter((value) => value !== '');
}

/** A backend is reached on the addresses of the frontends and listens that name it in `default_backend` or `use_backend`. */
function addressesRoutingTo(backend: string | undefined, sections: readonly HaproxySection[]): string[] {
  return sections
    .filter((section) => (section.kind === 'frontend' || section.kind === 'listen') && section.lines.some((line) => (line.key === 'default_backend' || line.key === 'use_backend') && line.args[0]?.value === backend))
    .flatMap(bindAddressesOf);
}

/** A stats page (`stats enable` or `stats uri`) served on `addresses`. */
function statsPageOf(section: HaproxySection, lines: readonly HaproxyLine[], addresses: readonly string[]): AdminInterface | undefined {
  const enabling = lines.filter((line) => line.key === 'stats enable' || line.key === 'stats uri');
  if (enabling.length === 0) return undefined;
  const own = enabling.find((line) => section.lines.includes(line));
  if (addresses.length === 0) return undefined; // nothing routes traffic here
  const exposed = addresses.find((address) => !isLoopbackAddress(address));
  const hasAuthentication = lines.some((line) => line.key === 'stats auth' || (line.key === 'stats http-request' && line.args[0]?.value === 'auth') || (line.key === 'http-request' && line.args[0]?.value === 'auth'));
  return {
    kind: 'haproxy-stats',
    address: exposed ?? addresses[0]!,
    isLoopbackOnly: exposed === undefined,
    hasAuthentication,
    canChangeState: lines.some((line) => line.key === 'stats admin'),
    at: (own ?? enabling[0]!).at,
  };
}
