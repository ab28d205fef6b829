import { describe, expect, it } from 'vitest';
import { ConfigError, formatDurationMs, loadConfigFile, parseConfigText, parseDurationMs, parseSizeBytes } from '../../src/config/index.js';

/** The messages of a config that must be rejected, as `config check` prints them. */
function errorsOf(text: string): string[] {
  try {
    parseConfigText(text, 'evenkeel.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('EK_CONFIG_INVALID');
    return (error as ConfigError).message.split('\n');
  }
  throw new Error('expected the config to be rejected');
}

/** A one-pool config with `extra` lines appended to the pool (indented by 4). */
const pool = (extra: string, backends = '      - { id: web-1, url: "http://10.0.0.11:8000" }\n      - { id: web-2, url: "http://10.0.0.12:8000" }\n') =>
  `pools:\n  portal:\n${extra}    backends:\n${backends}`;

describe('config loader errors', () => {
  // Positions point at the key of the offending field, where an editor puts the cursor.
  it('prints the issue\'s example exactly: file:line:column, field path, what was expected and what was got', () => {
    expect(() => loadConfigFile('test/fixtures/config/negative-weight.yaml')).toThrow(ConfigError);
    try {
      loadConfigFile('test/fixtures/config/negative-weight.yaml');
    } catch (error) {
      expect((error as ConfigError).message).toBe('test/fixtures/config/negative-weight.yaml:14:9 pools.portal.backends[2].weight: expected a whole number from 0 to 10000, got -5');
    }
    const text = '# evenkeel.yaml\n\n\n\n\n\n\n\npools:\n  portal:\n    backends:\n      - { id: web-1, url: "http://10.0.0.11:8000" }\n      - { id: web-2, url: "http://10.0.0.12:8000" }\n      - id: web-3\n        weight: -5\n        url: "http://10.0.0.13:8000"\n';
    expect(errorsOf(text)).toEqual([
      'evenkeel.yaml:15:9 pools.portal.backends[2].weight: expected a whole number from 0 to 10000, got -5',
    ]);
  });

  it('rejects an unknown key with a did-you-mean at its position', () => {
    expect(errorsOf(pool('    algoritm: hash\n'))).toEqual(['evenkeel.yaml:3:5 pools.portal.algoritm: unknown key; did you mean "algorithm"?']);
  });

  it('reports a YAML syntax error with its position', () => {
    const [message] = errorsOf('pools:\n  portal:\n    backends:\n      - { id: web-1, url: "http://10.0.0.11:8000"\n');
    expect(message).toMatch(/^evenkeel\.yaml:\d+:\d+ YAML syntax error: /);
  });

  it('rejects a backend id used twice, naming the line of the second one', () => {
    const messages = errorsOf(pool('', '      - { id: web-1, url: "http://10.0.0.11:8000" }\n      - { id: web-1, url: "http://10.0.0.12:8000" }\n'));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^evenkeel\.yaml:5:\d+ pools\.portal\.backends\[1\]\.id: expected a unique backend id, got "web-1" again/);
  });

  it('rejects an unparsable backend URL on its line', () => {
    const messages = errorsOf(pool('', '      - { id: web-1, url: "http//10.0.0.11:8000" }\n'));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^evenkeel\.yaml:4:\d+ pools\.portal\.backends\[0\]\.url: /);
  });

  it('rejects a pool whose weights are all 0', () => {
    const messages = errorsOf(pool('', '      - { id: web-1, url: "http://10.0.0.11:8000", weight: 0 }\n'));
    expect(messages).toEqual([expect.stringMatching(/^evenkeel\.yaml:3:5 pools\.portal\.backends: expected at least one backend with a weight above 0/)]);
  });

  it('rejects a route to a missing pool with a did-you-mean', () => {
    const messages = errorsOf(`${pool('')}routes:\n  - { pool: portl }\n`);
    expect(messages).toEqual([expect.stringMatching(/^evenkeel\.yaml:7:\d+ routes\[0\]\.pool: expected one of the pools \("portal"\), got "portl"; did you mean "portal"\?$/)]);
  });

  it('rejects hashing or persistence by header or cookie without a name', () => {
    expect(errorsOf(pool('    algorithm: hash\n    hash: { by: header }\n'))).toEqual([expect.stringMatching(/^evenkeel\.yaml:4:\d+ pools\.portal\.hash\.name: missing required key; "by: header"/)]);
    expect(errorsOf(pool('    algorithm: hash\n    hash: { by: cookie }\n'))).toEqual([expect.stringMatching(/^evenkeel\.yaml:4:\d+ pools\.portal\.hash\.name: missing required key; "by: cookie"/)]);
    expect(errorsOf(pool('    persistence: { by: header }\n'))).toEqual([expect.stringMatching(/^evenkeel\.yaml:3:\d+ pools\.portal\.persistence\.name: missing required key; "by: header"/)]);
  });

  it('gives persistence by cookie the default cookie name', () => {
    const config = parseConfigText(pool('    persistence: { by: cookie }\n'), 'evenkeel.yaml');
    expect(config.pools.portal.persistence.name).toBe('ek_session');
  });

  it('rejects a health timeout that is not shorter than the interval', () => {
    expect(errorsOf(pool('    health: { interval: 2s, timeout: 2s }\n'))).toEqual([
      'evenkeel.yaml:3:29 pools.portal.health.timeout: expected a timeout shorter than the interval (2s), got 2s; a check must finish before the next one starts',
    ]);
  });

  it('rejects a descending or out-of-range expected_status', () => {
    expect(errorsOf(pool('    health: { expected_status: "399-200" }\n'))).toEqual([
      expect.stringMatching(/^evenkeel\.yaml:3:\d+ pools\.portal\.health\.expected_status: expected an ascending range such as "200-399", got "399-200"$/),
    ]);
    expect(errorsOf(pool('    health: { expected_status: "200-700" }\n'))).toEqual([
      expect.stringMatching(/^evenkeel\.yaml:3:\d+ pools\.portal\.health\.expected_status: expected status codes from 100 to 599, got "200-700"$/),
    ]);
    expect(parseConfigText(pool('    health: { expected_status: "204" }\n'), 'e.yaml').pools.portal.health.expected_status).toBe('204');
  });

  it('rejects trusted_proxies entries that are not IPs or CIDRs, at their line and column', () => {
    const text = `proxy:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - "::1"\n    - 10.0.0.300\n    - 10.0.0.0/33\n    - fd00::/64\n    - lb.internal\n${pool('')}`;
    expect(errorsOf(text)).toEqual([
      'evenkeel.yaml:5:7 proxy.trusted_proxies[2]: expected an IP address or CIDR such as "10.0.0.0/8" or "::1", got "10.0.0.300"',
      'evenkeel.yaml:6:7 proxy.trusted_proxies[3]: expected an IP address or CIDR such as "10.0.0.0/8" or "::1", got "10.0.0.0/33"',
      'evenkeel.yaml:8:7 proxy.trusted_proxies[5]: expected an IP address or CIDR such as "10.0.0.0/8" or "::1", got "lb.internal"',
    ]);
  });

  it('lists every problem of a file, in file order', () => {
    const messages = errorsOf(pool('    algoritm: hash\n', '      - { id: web-1, url: "http://10.0.0.11:8000", weight: 10001 }\n'));
    expect(messages.map((m) => m.split(' ')[0])).toEqual(['evenkeel.yaml:3:5', expect.stringMatching(/^evenkeel\.yaml:5:/)]);
  });

  it('names a missing file with EK_CONFIG_UNREADABLE', () => {
    try {
      loadConfigFile('test/fixtures/config/does-not-exist.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).code).toBe('EK_CONFIG_UNREADABLE');
      expect((error as ConfigError).message).toContain('no such file');
    }
  });
});

describe('durations and sizes', () => {
  it('reads durations as NGINX and Prometheus write them', () => {
    expect(parseDurationMs('2s')).toBe(2000);
    expect(parseDurationMs('30m')).toBe(1_800_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('250ms')).toBe(250);
    for (const bad of ['2', '2 s', 's', '-1s', '2sec', '']) expect(parseDurationMs(bad)).toBeUndefined();
    expect(formatDurationMs(5_400_000)).toBe('1h30m');
    expect(formatDurationMs(0)).toBe('0s');
  });

  it('rejects a bad duration in the file with what was expected', () => {
    expect(errorsOf(pool('    slow_start: 30 seconds\n'))).toEqual(['evenkeel.yaml:3:5 pools.portal.slow_start: expected a duration such as "500ms", "2s" or "30m", got "30 seconds"']);
  });

  it('reads sizes with units and plain byte counts', () => {
    expect(parseSizeBytes('10mb')).toBe(10 * 1024 * 1024);
    expect(parseSizeBytes('512k')).toBe(512 * 1024);
    expect(parseSizeBytes('1g')).toBe(1024 ** 3);
    expect(parseSizeBytes('ten')).toBeUndefined();
    expect(parseConfigText(`proxy: { max_body_size: 2048 }\n${pool('')}`, 'e.yaml').proxy.max_body_size).toBe(2048);
    expect(errorsOf(`proxy: { max_body_size: "10 parsecs" }\n${pool('')}`)[0]).toMatch(/^evenkeel\.yaml:1:\d+ proxy\.max_body_size: /);
  });
});

describe('defaults', () => {
  it('fills in every default of a minimal config', () => {
    const config = parseConfigText(pool(''), 'evenkeel.yaml');
    expect(config.listen).toEqual({ http: '0.0.0.0:8080' });
    expect(config.admin.listen).toBe('127.0.0.1:9090');
    expect(config.store.url).toBe('sqlite://./data/evenkeel.db');
    expect(config.workers).toBe(1);
    expect(config.routes).toEqual([]);
    expect(config.proxy).toMatchObject({ timeouts: { connect: 5000, response_headers: 60_000, idle: 60_000, request: 0 }, max_body_size: 10 * 1024 * 1024, trusted_proxies: [], drain_timeout: 15_000, access_log: false });
    const portal = config.pools.portal;
    expect(portal).toMatchObject({ algorithm: 'round-robin', slow_start: 30_000, panic_threshold: 0.5, max_inflight: 0, queue: { size: 100, timeout: 5000 }, retry: { attempts: 1 } });
    expect(portal.persistence).toEqual({ by: 'none', ttl: 1_800_000, bound: 1.25 });
    expect(portal.health).toEqual({ interval: 2000, timeout: 1000, rise: 2, fall: 3, expected_status: '200-399' });
    expect(portal.outlier).toEqual({ consecutive_failures: 5, base_ejection: 30_000, max_ejection: 300_000, max_ejected_share: 0.5 });
    expect(portal.backends[0]).toEqual({ id: 'web-1', url: 'http://10.0.0.11:8000', weight: 100, drain: false });
    expect(parseConfigText(pool('    algorithm: hash\n'), 'e.yaml').pools.portal.hash).toEqual({ by: 'source_ip', table: 'maglev', bound: 1.25 });
  });
});
