import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AdminInterface, AuditedConfig, ReadProblem, Setting } from '../model.js';
import { isLoopbackAddress } from './listen-address.js';
import { expandIncludes } from './nginx-includes.js';
import { parseNginxText, type NginxDirective } from './nginx-syntax.js';
import { poolOfUpstream, type UpstreamUse } from './nginx-upstream.js';

// The NGINX reader: upstream blocks become pools; the proxy timeouts and retries of the locations
// that proxy_pass to an upstream are attributed to it, with NGINX's inheritance (a directive in an
// inner block replaces the outer one); stub_status and api locations become admin interfaces.

type Effective = Map<string, NginxDirective>;

/** Directives inherited http → server → location (an inner one replaces the outer one). */
const INHERITED = new Set(['proxy_connect_timeout', 'proxy_read_timeout', 'proxy_send_timeout', 'proxy_next_upstream', 'proxy_next_upstream_tries', 'auth_basic']);
/** Blocks that pass their settings on to the blocks inside them. */
const NESTING = new Set(['http', 'stream', 'server', 'location', 'if', 'limit_except']);

interface Access {
  readonly hasAuthBasic: boolean;
  /** `allow ...; deny all;` as written in the innermost block that has any allow/deny. */
  readonly isRestricted: boolean;
}

/** Reads an NGINX config file and the files it includes (through `readFile`; glob patterns list directories on disk); never throws. */
export function readNginxConfig(file: string, readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')): AuditedConfig {
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    return { kind: 'nginx', file, files: [file], pools: [], admin: [], settings: [], problems: [{ message: `cannot read the config file: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 0, column: 0 } }] };
  }
  return readNginxSource(text, file, readFile);
}

/** Same as readNginxConfig, from text; includes are read from disk relative to `file`'s directory. */
export function readNginxText(text: string, file: string): AuditedConfig {
  return readNginxSource(text, file, (path) => readFileSync(path, 'utf8'));
}

function readNginxSource(text: string, file: string, readFile: (path: string) => string): AuditedConfig {
  const problems: ReadProblem[] = [];
  const files = [file];
  try {
    const parsed = parseNginxText(text, file, problems);
    const directives = expandIncludes(parsed, { configDirectory: dirname(file), readFile, problems, files }, [resolve(file)]);
    const settings: Setting[] = [];
    collectSettings(directives, 'main', settings);
    const uses = new Map<string, UpstreamUse[]>();
    const admin: AdminInterface[] = [];
    walk(directives, new Map(), { hasAuthBasic: false, isRestricted: false }, undefined, uses, admin);
    const pools = findUpstreams(directives).map((upstream) => poolOfUpstream(upstream, uses.get(upstream.args[0]?.value ?? '') ?? []));
    return { kind: 'nginx', file, files, pools, admin, settings, problems };
  } catch (error) {
    // The parser is written not to throw; this keeps the promise if a bug proves otherwise.
    problems.push({ message: `internal error while reading: ${error instanceof Error ? error.message : String(error)}`, at: { file, line: 1, column: 1 } });
    return { kind: 'nginx', file, files, pools: [], admin: [], settings: [], problems };
  }
}

function scopeOf(directive: NginxDirective): string {
  if (directive.name === 'http' || directive.name === 'server' || directive.name === 'events' || directive.name === 'stream') return directive.name;
  return [directive.name, ...directive.args.map((arg) => arg.value)].join(' ');
}

function collectSettings(directives: readonly NginxDirective[], scope: string, settings: Setting[]): void {
  for (const directive of directives) {
    settings.push({ key: directive.name, args: directive.args.map((arg) => arg.value), scope, at: directive.at });
    if (directive.block !== undefined) collectSettings(directive.block, scopeOf(directive), settings);
  }
}

function findUpstreams(directives: readonly NginxDirective[]): NginxDirective[] {
  return directives.flatMap((directive) => (directive.name === 'upstream' && directive.block !== undefined ? [directive] : directive.name !== 'upstream' && directive.block !== undefined ? findUpstreams(directive.block) : []));
}

/** The upstream name a `proxy_pass` names: "http://app/api" → "app", "app" (stream) → "app". */
function upstreamNameOf(target: string): string {
  const withoutScheme = target.replace(/^[a-z]+:\/\//i, '');
  return withoutScheme.split(/[/:]/)[0] ?? '';
}

function walk(
  directives: readonly NginxDirective[],
  inherited: Effective,
  inheritedAccess: Access,
  server: NginxDirective | undefined,
  uses: Map<string, UpstreamUse[]>,
  admin: AdminInterface[],
): void {
  const effective: Effective = new Map(inherited);
  const accessRules = directives.filter((directive) => directive.name === 'allow' || directive.name === 'deny');
  for (const directive of directives) if (INHERITED.has(directive.name)) effective.set(directive.name, directive);
  const authBasic = effective.get('auth_basic');
  const access: Access = {
    hasAuthBasic: authBasic !== undefined && authBasic.args[0]?.value !== 'off',
    isRestricted: accessRules.length === 0 ? inheritedAccess.isRestricted : isRestrictedBy(accessRules),
  };
  for (const directive of directives) {
    if (directive.name === 'proxy_pass' && directive.args[0] !== undefined) {
      const name = upstreamNameOf(directive.args[0].value);
      const list = uses.get(name) ?? [];
      list.push({ effective, healthChecks: directives.filter((candidate) => candidate.name === 'health_check') });
      uses.set(name, list);
    }
    if ((directive.name === 'stub_status' || directive.name === 'api') && server !== undefined && directive.args[0]?.value !== 'off') {
      admin.push(adminOf(directive, server, access));
    }
  }
  for (const directive of directives) {
    if (directive.block === undefined || !NESTING.has(directive.name)) continue;
    walk(directive.block, effective, access, directive.name === 'server' ? directive : server, uses, admin);
  }
}

/** True when the rules end in `deny all` and let no "anywhere" address in before it. */
function isRestrictedBy(rules: readonly NginxDirective[]): boolean {
  const anywhere = new Set(['all', '0.0.0.0/0', '::/0']);
  for (const rule of rules) {
    const target = rule.args[0]?.value ?? '';
    if (rule.name === 'allow' && anywhere.has(target)) return false;
    if (rule.name === 'deny' && target === 'all') return true;
  }
  return false;
}

function adminOf(directive: NginxDirective, server: NginxDirective, access: Access): AdminInterface {
  // A server with no `listen` listens on *:80 (or *:8000 without root); either is beyond loopback.
  const listens = (server.block ?? []).filter((candidate) => candidate.name === 'listen').map((listen) => listen.args[0]?.value ?? '');
  const addresses = listens.length === 0 ? ['*:80'] : listens;
  const exposed = addresses.find((address) => !isLoopbackAddress(address));
  return {
    kind: directive.name === 'api' ? 'nginx-api' : 'nginx-status',
    address: exposed ?? addresses[0]!,
    isLoopbackOnly: exposed === undefined,
    hasAuthentication: access.hasAuthBasic || access.isRestricted,
    canChangeState: directive.name === 'api' && directive.args.some((arg) => arg.value === 'write=on'),
    at: directive.at,
  };
}
