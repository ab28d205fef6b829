import type { AuditedPool, AuditedServer, BalanceAlgorithm, Hashing, HealthCheck, Located, Persistence, Retries, SourcePosition, Timeouts } from '../model.js';
import { parseCount, parseHaproxyDurationMs } from './durations.js';
import type { HaproxyLine, HaproxyWord } from './haproxy-syntax.js';

// One HAProxy `backend` or `listen` section, with the lines it inherits from its defaults section
// placed first, as an audited pool. Lines are applied in order and the last one wins, which is how
// HAProxy itself lets a section override its defaults; `default-server` applies to the `server`
// lines after it.

/** Server keywords that take a value (the next word); everything else is a flag. */
const VALUED_SERVER_KEYWORDS = new Set([
  'addr', 'agent-addr', 'agent-inter', 'agent-port', 'agent-send', 'alpn', 'ca-file', 'check-alpn', 'check-proto', 'check-sni', 'ciphers', 'ciphersuites',
  'client-sigalgs', 'cookie', 'crl-file', 'crt', 'curves', 'downinter', 'error-limit', 'fall', 'fastinter', 'guid', 'hash-key', 'id', 'idle-ping', 'init-addr',
  'init-state', 'inter', 'interface', 'log-bufsize', 'log-proto', 'max-reuse', 'maxconn', 'maxqueue', 'minconn', 'namespace', 'npn', 'observe', 'on-error',
  'on-marked-down', 'on-marked-up', 'pool-conn-name', 'pool-low-conn', 'pool-max-conn', 'pool-purge-delay', 'port', 'proto', 'proxy-v2-options', 'redir',
  'resolve-net', 'resolve-opts', 'resolve-prefer', 'resolvers', 'rise', 'shard', 'sigalgs', 'slowstart', 'sni', 'socks4', 'source', 'ssl-max-ver',
  'ssl-min-ver', 'tcp-ut', 'track', 'usesrc', 'verify', 'verifyhost', 'weight', 'ws', 'set-proxy-v2-tlv-fmt',
]);

/** `retry-on` conditions met before the request reached a server; every other one may resend a request the server already got. */
const BEFORE_SEND_CONDITIONS = new Set(['none', 'conn-failure', '0rtt-rejected']);

type ServerParameters = Map<string, HaproxyWord | true>;

function parametersOf(words: readonly HaproxyWord[], into: ServerParameters): ServerParameters {
  for (let index = 0; index < words.length; index += 1) {
    const keyword = words[index]!.value;
    if (VALUED_SERVER_KEYWORDS.has(keyword) && words[index + 1] !== undefined) {
      into.set(keyword, words[index + 1]!);
      index += 1;
    } else if (keyword.startsWith('no-')) {
      into.delete(keyword.slice(3));
    } else if (keyword === 'enabled') {
      into.delete('disabled');
    } else {
      into.set(keyword, true);
    }
  }
  return into;
}

function valueOf(parameters: ServerParameters, name: string): string | undefined {
  const value = parameters.get(name);
  return value === undefined || value === true ? undefined : value.value;
}

function durationOf(parameters: ServerParameters, name: string): number | undefined {
  const value = valueOf(parameters, name);
  return value === undefined ? undefined : parseHaproxyDurationMs(value);
}

interface CheckedServer {
  readonly server: AuditedServer;
  readonly parameters: ServerParameters;
}

/** HAProxy `balance` algorithms in the model's words. */
function algorithmOf(name: string): BalanceAlgorithm {
  if (name === 'roundrobin' || name === 'static-rr') return 'round-robin';
  if (name === 'leastconn') return 'least-connections';
  if (name === 'first') return 'first';
  if (name === 'source') return 'source-ip';
  if (name === 'random' || name.startsWith('random(')) return 'random';
  if (name === 'uri' || name === 'url_param' || name.startsWith('hdr(') || name.startsWith('rdp-cookie') || name === 'hash') return 'hash';
  return 'other';
}

function hashKeyOf(name: string): Hashing['key'] {
  if (name === 'source') return 'source_ip';
  if (name === 'uri') return 'uri';
  if (name.startsWith('hdr(')) return 'header';
  if (name.startsWith('rdp-cookie')) return 'cookie';
  return 'other';
}

function last(lines: readonly HaproxyLine[], key: string): HaproxyLine | undefined {
  for (let index = lines.length - 1; index >= 0; index -= 1) if (lines[index]!.key === key) return lines[index];
  return undefined;
}

function locatedDuration(line: HaproxyLine | undefined): Located<number> | undefined {
  const valueMs = line?.args[0] === undefined ? undefined : parseHaproxyDurationMs(line.args[0].value);
  return line === undefined || valueMs === undefined ? undefined : { value: valueMs, at: line.at };
}

/** The audited pool of a backend or listen section; `lines` are the inherited defaults lines followed by the section's own. */
export function poolOfBackend(name: string, at: SourcePosition, lines: readonly HaproxyLine[], stickTableOf: (section: string) => HaproxyLine | undefined = () => undefined): AuditedPool {
  const balanceLine = last(lines, 'balance');
  const balanceName = balanceLine?.args[0]?.value;
  const balance = balanceLine === undefined || balanceName === undefined ? undefined : { value: algorithmOf(balanceName), at: balanceLine.at };
  const hashType = last(lines, 'hash-type')?.args[0]?.value;
  const isConsistent = hashType === 'consistent';
  const factor = parseCount(last(lines, 'hash-balance-factor')?.args[0]?.value);
  // hash-balance-factor bounds consistent hashing only; 0 turns it off.
  const boundFactor = isConsistent && factor !== undefined && factor > 0 ? factor / 100 : undefined;
  const hashing: Hashing | undefined =
    balance !== undefined && (balance.value === 'hash' || balance.value === 'source-ip')
      ? { key: hashKeyOf(balanceName!), expression: [balanceName!, ...balanceLine!.args.slice(1).map((arg) => arg.value)].join(' '), isConsistent, boundFactor, at: balanceLine!.at }
      : undefined;

  const defaults: ServerParameters = new Map();
  let poolSlowStart: Located<number> | undefined;
  const checked: CheckedServer[] = [];
  for (const line of lines) {
    if (line.key === 'default-server') {
      parametersOf(line.args, defaults);
      const slowStartMs = durationOf(defaults, 'slowstart');
      poolSlowStart = slowStartMs === undefined ? undefined : { value: slowStartMs, at: line.at };
    } else if (line.key === 'server' && line.args.length >= 2) {
      checked.push(serverOf(line, line.args[0]!.value, line.args[1]!.value, parametersOf(line.args.slice(2), new Map(defaults))));
    } else if (line.key === 'server-template' && line.args.length >= 3) {
      // `server-template web 1-3 app.internal:80 check` declares web1, web2, web3 with the same settings.
      for (const number of templateNumbers(line.args[1]!.value)) {
        checked.push(serverOf(line, `${line.args[0]!.value}${number}`, line.args[2]!.value, parametersOf(line.args.slice(3), new Map(defaults))));
      }
    }
  }
  const servers = checked.map(({ server }) => server);
  const timeouts = timeoutsOf(lines);
  return {
    name,
    at,
    balance,
    hashing,
    persistence: persistenceOf(lines, stickTableOf),
    servers,
    healthCheck: healthCheckOf(lines, checked),
    slowStartMs: poolSlowStart,
    queue: queueOf(lines, servers, timeouts),
    timeouts,
    retries: retriesOf(lines),
  };
}

/** "3" → 1..3, "2-4" → 2..4; capped so a typo cannot allocate millions of servers. */
function templateNumbers(range: string): number[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(range);
  if (match === null) return [];
  const first = match[2] === undefined ? 1 : Number(match[1]);
  const lastNumber = Math.min(Number(match[2] ?? match[1]), first + 1023);
  return Array.from({ length: Math.max(0, lastNumber - first + 1) }, (_, index) => first + index);
}

function serverOf(line: HaproxyLine, name: string, address: string, parameters: ServerParameters): CheckedServer {
  const observes = parameters.has('observe');
  return {
    parameters,
    server: {
      name,
      address,
      weight: parseCount(valueOf(parameters, 'weight')),
      isBackup: parameters.has('backup'),
      isDisabled: parameters.has('disabled'),
      maxConnections: parseCount(valueOf(parameters, 'maxconn')),
      // `observe` turns on passive detection; HAProxy's error-limit defaults to 10.
      maxFails: observes ? (parseCount(valueOf(parameters, 'error-limit')) ?? 10) : undefined,
      slowStartMs: durationOf(parameters, 'slowstart'),
      hasCheck: parameters.has('check'),
      at: line.at,
    },
  };
}

/** `stickTableOf` finds the `stick-table` of another section, for `stick on src table NAME`. */
function persistenceOf(lines: readonly HaproxyLine[], stickTableOf: (section: string) => HaproxyLine | undefined): Persistence[] {
  const persistence: Persistence[] = [];
  const cookie = last(lines, 'cookie');
  if (cookie !== undefined && cookie.args.length > 0) {
    const words = cookie.args.map((arg) => arg.value);
    const after = (keyword: string) => {
      const index = words.indexOf(keyword);
      return index === -1 || words[index + 1] === undefined ? undefined : parseHaproxyDurationMs(words[index + 1]!);
    };
    persistence.push({ kind: 'cookie', ttlMs: after('maxidle') ?? after('maxlife'), boundFactor: undefined, at: cookie.at });
  }
  const stick = lines.find((line) => line.key === 'stick' && ['on', 'match', 'store-request', 'store-response'].includes(line.args[0]?.value ?? ''));
  if (stick !== undefined) {
    const tableIndex = stick.args.findIndex((arg) => arg.value === 'table');
    const tableName = tableIndex === -1 ? undefined : stick.args[tableIndex + 1]?.value;
    const table = tableName === undefined ? last(lines, 'stick-table') : stickTableOf(tableName);
    const expireIndex = table?.args.findIndex((arg) => arg.value === 'expire') ?? -1;
    const expire = expireIndex === -1 ? undefined : table!.args[expireIndex + 1]?.value;
    const expression = stick.args[1]?.value ?? '';
    persistence.push({ kind: expression === 'src' || expression.startsWith('src,') ? 'source_ip' : 'table', ttlMs: expire === undefined ? undefined : parseHaproxyDurationMs(expire), boundFactor: undefined, at: stick.at });
  }
  return persistence;
}

/** Active checks: `check` on servers, with `option httpchk`/`tcp-check` choosing what is sent. Defaults are HAProxy's (inter 2s, rise 2, fall 3). */
function healthCheckOf(lines: readonly HaproxyLine[], servers: readonly CheckedServer[]): HealthCheck | undefined {
  const option = [...lines].reverse().find((line) => /^(no option|option) (httpchk|tcp-check|ssl-hello-chk|ldap-check|mysql-check|pgsql-check|redis-check|smtpchk)$/.test(line.key));
  const first = servers.find(({ parameters }) => parameters.has('check'));
  if (option === undefined && first === undefined) return undefined;
  const isTurnedOff = option?.key.startsWith('no ') ?? false;
  const timeoutCheck = locatedDuration(last(lines, 'timeout check'));
  return {
    isEnabled: first !== undefined && !isTurnedOff,
    intervalMs: first === undefined ? undefined : (durationOf(first.parameters, 'inter') ?? 2000),
    timeoutMs: timeoutCheck?.value,
    rise: first === undefined ? undefined : (parseCount(valueOf(first.parameters, 'rise')) ?? 2),
    fall: first === undefined ? undefined : (parseCount(valueOf(first.parameters, 'fall')) ?? 3),
    at: option?.at ?? first!.server.at,
  };
}

function timeoutsOf(lines: readonly HaproxyLine[]): Timeouts {
  const pick = (key: string, legacy?: string) => locatedDuration(last(lines, key) ?? (legacy === undefined ? undefined : last(lines, legacy)));
  const entries = { connect: pick('timeout connect', 'contimeout'), server: pick('timeout server', 'srvtimeout'), client: pick('timeout client', 'clitimeout'), queue: pick('timeout queue'), request: pick('timeout http-request') };
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Timeouts;
}

/** Requests wait in the backend queue when servers are at `maxconn`; they wait `timeout queue`, or `timeout connect` when it is unset. */
function queueOf(lines: readonly HaproxyLine[], servers: readonly AuditedServer[], timeouts: Timeouts): AuditedPool['queue'] {
  const limited = servers.filter((server) => (server.maxConnections ?? 0) > 0);
  if (limited.length === 0) return undefined;
  const timeoutMs = (timeouts.queue ?? timeouts.connect)?.value;
  return { value: { size: undefined, timeoutMs }, at: timeouts.queue?.at ?? limited[0]!.at };
}

/**
 * Our reading of HAProxy retries: `retries N` (3 by default) counts connection attempts; `retry-on`
 * widens them to layer-7 retries. A condition met after the server got the request (a status code,
 * response-timeout, empty-response, junk-response, all-retryable-errors) resends a POST the server
 * may already have acted on, unless `http-request disable-l7-retry` is unconditional or limited to
 * non-idempotent methods (`if METH_POST`, `unless METH_GET`...). `option redispatch` alone moves a
 * retry to another server after a connection failure, which is safe.
 */
function retriesOf(lines: readonly HaproxyLine[]): Retries | undefined {
  const retries = last(lines, 'retries');
  const retryOn = last(lines, 'retry-on');
  const redispatch = last(lines, 'option redispatch');
  if (retries === undefined && retryOn === undefined && redispatch === undefined) return undefined;
  const afterSend = (retryOn?.args ?? []).some((arg) => !BEFORE_SEND_CONDITIONS.has(arg.value));
  const isGuarded = lines.some((line) => {
    if (line.key !== 'http-request' || line.args[0]?.value !== 'disable-l7-retry') return false;
    const condition = line.args.slice(1).map((arg) => arg.value).join(' ');
    return condition === '' || /^if\b.*(METH_POST|method POST|!\s*METH_GET)/.test(condition) || /^unless\b.*(METH_GET|method GET|METH_HEAD)/.test(condition);
  });
  return { count: parseCount(retries?.args[0]?.value) ?? 3, retriesNonIdempotent: afterSend && !isGuarded, at: (retryOn ?? retries ?? redispatch)!.at };
}
