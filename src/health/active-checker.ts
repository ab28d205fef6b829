import { Agent, request } from 'undici';
import { isExpectedStatus, type StatusRange } from './status-range.js';

// Active health checks: an HTTP GET to backend url + health.path every interval, as HAProxy's
// `option httpchk` and Envoy's HTTP health checker do. `rise` passes in a row bring a backend up,
// `fall` failures in a row take it down (HAProxy's names). A backend starts up, as in HAProxy and in
// Envoy without ignore_new_hosts_until_first_hc, and its first check runs at once, so a dead new
// backend is found within `fall` intervals (and slow start keeps its share small meanwhile).
//
// Each check opens a fresh connection (`reset: true`, like HAProxy): a check over a pooled
// keep-alive socket could fail on a socket the backend had closed, and would not test that the
// backend still accepts connections. Checks of one backend never overlap: the next is scheduled
// when the previous one has finished.

/** What to check for one backend; `key` is "pool/id". */
export interface ProbeTarget {
  key: string;
  /** The backend's base URL; the path is appended to it. */
  url: string;
  path: string;
  /** Host header to send instead of the URL's host. */
  host: string | undefined;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  expectedStatus: StatusRange;
}

export interface ActiveCheckerOptions {
  /** A backend's active verdict changed. */
  onChange: (key: string, isUp: boolean, reason: string) => void;
  /** Uniform [0, 1), for jitter; Math.random by default. */
  random?: () => number;
}

export const PROBE_USER_AGENT = 'evenkeel-health';
/** The first check of a backend starts within this long (or one interval if shorter). */
const FIRST_CHECK_SPREAD_MS = 250;
/** Each interval is stretched or shrunk by up to this share, HAProxy's spread-checks, so checks of many backends drift apart instead of firing together. */
const INTERVAL_JITTER = 0.1;
/** Bytes of a check response we read before closing; the status is all that counts. */
const BODY_READ_LIMIT = 64 * 1024;

class Probe {
  target: ProbeTarget;
  isUp = true;
  successes = 0;
  failures = 0;
  timer: NodeJS.Timeout | undefined;
  controller: AbortController | undefined;
  /** False once the target is removed. */
  isLive = true;

  constructor(target: ProbeTarget) {
    this.target = target;
  }
}

/** Runs the active checks of every target; verdicts go to `onChange`. */
export class ActiveChecker {
  private readonly onChange: ActiveCheckerOptions['onChange'];
  private readonly random: () => number;
  private readonly probes = new Map<string, Probe>();
  private agent: Agent | undefined;

  constructor(options: ActiveCheckerOptions) {
    this.onChange = options.onChange;
    this.random = options.random ?? Math.random;
  }

  get isRunning(): boolean {
    return this.agent !== undefined;
  }

  /**
   * Replaces the set of targets. Targets whose key stays keep their verdict and counts (and take the
   * new settings from their next check on); new ones start up and are checked at once when running;
   * removed ones stop, and a check in flight for them is aborted.
   */
  setTargets(targets: readonly ProbeTarget[]): void {
    const keep = new Set<string>();
    for (const target of targets) {
      keep.add(target.key);
      const probe = this.probes.get(target.key);
      if (probe !== undefined) {
        probe.target = target;
        continue;
      }
      const added = new Probe(target);
      this.probes.set(target.key, added);
      if (this.isRunning) this.scheduleFirst(added);
    }
    for (const [key, probe] of this.probes) {
      if (keep.has(key)) continue;
      probe.isLive = false;
      this.halt(probe);
      this.probes.delete(key);
    }
  }

  /** The active verdict of a target, or undefined when it is not checked. */
  isUp(key: string): boolean | undefined {
    return this.probes.get(key)?.isUp;
  }

  /** Starts checking every target; timers are unref'd so they never keep the process alive. */
  start(): void {
    if (this.isRunning) return;
    this.agent = new Agent();
    for (const probe of this.probes.values()) this.scheduleFirst(probe);
  }

  /** Stops every check (verdicts are kept) and closes the checks' connections. */
  stop(): void {
    const agent = this.agent;
    if (agent === undefined) return;
    this.agent = undefined;
    for (const probe of this.probes.values()) this.halt(probe);
    agent.destroy().catch(noop);
  }

  private halt(probe: Probe): void {
    if (probe.timer !== undefined) clearTimeout(probe.timer);
    probe.timer = undefined;
    probe.controller?.abort();
    probe.controller = undefined;
  }

  private scheduleFirst(probe: Probe): void {
    const spreadMs = Math.min(probe.target.intervalMs, FIRST_CHECK_SPREAD_MS);
    this.schedule(probe, this.random() * spreadMs);
  }

  private schedule(probe: Probe, delayMs: number): void {
    probe.timer = setTimeout(() => {
      probe.timer = undefined;
      void this.check(probe);
    }, delayMs);
    probe.timer.unref();
  }

  private async check(probe: Probe): Promise<void> {
    const agent = this.agent;
    if (agent === undefined || !probe.isLive) return;
    const target = probe.target;
    const controller = new AbortController();
    probe.controller = controller;
    const timeout = AbortSignal.timeout(target.timeoutMs);
    const signal = AbortSignal.any([controller.signal, timeout]);
    const headers: Record<string, string> = { 'user-agent': PROBE_USER_AGENT };
    if (target.host !== undefined) headers.host = target.host;

    let isSuccess = false;
    let detail: string;
    try {
      const response = await request(joinUrl(target.url, target.path), { method: 'GET', headers, signal, dispatcher: agent, reset: true });
      await response.body.dump({ limit: BODY_READ_LIMIT, signal });
      isSuccess = isExpectedStatus(target.expectedStatus, response.statusCode);
      detail = `status ${response.statusCode}`;
    } catch (error) {
      detail = timeout.aborted ? `no answer within ${target.timeoutMs}ms` : describeError(error);
    }
    // Stopped or removed while the check ran: its result belongs to no one.
    if (controller.signal.aborted || !probe.isLive) return;
    probe.controller = undefined;
    this.count(probe, isSuccess, detail);
    if (this.agent === agent) {
      const jitter = 1 + INTERVAL_JITTER * (2 * this.random() - 1);
      this.schedule(probe, probe.target.intervalMs * jitter);
    }
  }

  private count(probe: Probe, isSuccess: boolean, detail: string): void {
    const { rise, fall, key } = probe.target;
    if (isSuccess) {
      probe.failures = 0;
      probe.successes++;
      if (!probe.isUp && probe.successes >= rise) {
        probe.isUp = true;
        this.onChange(key, true, `${rise} passing check${rise === 1 ? '' : 's'} in a row`);
      }
    } else {
      probe.successes = 0;
      probe.failures++;
      if (probe.isUp && probe.failures >= fall) {
        probe.isUp = false;
        this.onChange(key, false, `${fall} failed check${fall === 1 ? '' : 's'} in a row, last: ${detail}`);
      }
    }
  }
}

/** backend url + path, without doubling the slash between them. */
function joinUrl(base: string, path: string): string {
  return base.endsWith('/') ? base.slice(0, -1) + path : base + path;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function noop(): void {}
