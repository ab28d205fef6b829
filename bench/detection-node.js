// One evenkeel node for bench/detect.js: a child process `node bin/evenkeel.js serve <config>` with a
// fresh SQLite store in a temp dir and a bootstrap admin token from the environment, the admin API
// calls the cases need (tokens, propose -> approve -> apply, alerts, changes), and the config the
// cases change: one pool `portal` of the capacity backends with cookie persistence.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort, waitForPort } from './processes.js';

const BIN = new URL('../bin/evenkeel.js', import.meta.url).pathname;
const START_TIMEOUT_MS = 20_000;
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The node's config. `weights` maps backend id -> weight; `bound` is the persistence load bound
 * (10, the schema's maximum, stands for "removed": at these loads it never spills a session).
 */
export function portalConfig({ proxyPort, adminPort, storePath, backends, weights = {}, bound = 1.25 }) {
  const lines = backends.map((backend) => `      - { id: ${backend.name}, url: "${backend.url}", weight: ${weights[backend.name] ?? 100} }`);
  return `listen: { http: "127.0.0.1:${proxyPort}" }
admin: { listen: "127.0.0.1:${adminPort}" }
store: { url: "sqlite://${storePath}" }
pools:
  portal:
    algorithm: round-robin
    slow_start: 0s
    persistence: { by: cookie, name: ek_session, ttl: 30m, bound: ${bound} }
    health: { path: /healthz, interval: 1s, timeout: 500ms }
    backends:
${lines.join('\n')}
policy:
  # The postmortem's config allowed removing the bound; the default policy refuses it.
  guardrails: { forbid_bound_removal: false }
`;
}

export class DetectionNode {
  /** Starts a node on fresh ports with a fresh store; resolves once its proxy and admin API listen. */
  static async start(children, backends, { weights, bound } = {}) {
    const node = new DetectionNode(children, backends);
    await node.launch({ weights, bound });
    return node;
  }

  constructor(children, backends) {
    this.children = children;
    this.backends = backends;
    this.dir = mkdtempSync(join(tmpdir(), 'evenkeel-detect-'));
    this.adminToken = randomBytes(32).toString('hex');
    this.tokens = {};
  }

  async launch({ weights, bound }) {
    this.proxyPort = await freePort();
    this.adminPort = await freePort();
    this.configPath = join(this.dir, 'evenkeel.yaml');
    writeFileSync(this.configPath, this.config({ weights, bound }));
    this.child = this.children.spawn(undefined, process.execPath, [BIN, 'serve', this.configPath], {
      env: { ...process.env, EVENKEEL_BOOTSTRAP_TOKEN: this.adminToken, EVENKEEL_LOG_LEVEL: 'warn' },
    });
    try {
      await waitForPort(this.proxyPort, START_TIMEOUT_MS, this.child);
      await waitForPort(this.adminPort, START_TIMEOUT_MS, this.child);
    } catch (error) {
      throw new Error(`${error.message}\n${this.child.output}`);
    }
    this.proxyUrl = `http://127.0.0.1:${this.proxyPort}/`;
    this.adminUrl = `http://127.0.0.1:${this.adminPort}`;
  }

  /** The config text with these weights and bound, on this node's ports and store. */
  config({ weights, bound } = {}) {
    return portalConfig({ proxyPort: this.proxyPort, adminPort: this.adminPort, storePath: join(this.dir, 'evenkeel.db'), backends: this.backends, weights, bound });
  }

  /** One admin API call; throws with the server's code and message on a non-2xx answer. */
  async call(method, path, body, token = this.adminToken) {
    const response = await request(this.adminUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await response.body.text();
    let parsed;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.statusCode >= 300) throw new Error(`${method} ${path}: ${response.statusCode} ${parsed?.code ?? ''} ${parsed?.message ?? text}`);
    return parsed;
  }

  /** Creates a token through the admin API and keeps it under its name. */
  async createToken(name, role) {
    const created = await this.call('POST', '/api/v1/tokens', { name, role });
    this.tokens[name] = created.token;
  }

  /**
   * The change path of the postmortem's script: `author` proposes a whole config, `approver` approves
   * and applies it. Resolves to the applied change (its updatedAt is when it went live).
   */
  async proposeApproveApply({ author, approver, reason, weights, bound }) {
    const proposed = await this.call('POST', '/api/v1/changes', { reason, configYaml: this.config({ weights, bound }) }, this.tokens[author]);
    await this.call('POST', `/api/v1/changes/${proposed.id}/approve`, { comment: 'looks fine' }, this.tokens[approver]);
    const applied = await this.call('POST', `/api/v1/changes/${proposed.id}/apply`, {}, this.tokens[approver]);
    if (applied.status !== 'applied') throw new Error(`change ${proposed.id} was not applied: ${applied.status}`);
    return applied;
  }

  /** GET /api/v1/alerts: the node's live and recent alerts (src/monitor/alert.ts's Alert), newest first. */
  async alerts() {
    const body = await this.call('GET', '/api/v1/alerts?limit=200');
    // The route answers an array; the brief's contract was an object with an `alerts` array: read both.
    if (Array.isArray(body)) return body;
    return Array.isArray(body?.alerts) ? body.alerts : [];
  }

  async changes(limit = 50) {
    return this.call('GET', `/api/v1/changes?limit=${limit}`);
  }

  /** Stops the node and removes its temp dir (config and store). */
  async stop() {
    if (this.child) await this.children.stop(this.child, 5_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
