import type { DrillNode, NodeAlert } from './drill-node.js';

// Watches the drill node's alerts: polls GET /api/v1/alerts and keeps the latest copy of every alert
// episode (fingerprint and start), so an alert that fired and resolved between two looks at the
// report is still counted. The drill reads detection times from the alerts' own firingAt, so the
// poll interval adds nothing to the measured time.

const POLL_MS = 250;

export class AlertWatch {
  readonly #node: DrillNode;
  readonly #seen = new Map<string, NodeAlert>();
  readonly #timer: NodeJS.Timeout;
  #isPolling = false;
  /** Polls that failed, and the last reason: a node that stops answering shows in the report. */
  failures = 0;
  lastFailure: string | undefined;

  constructor(node: DrillNode) {
    this.#node = node;
    this.#timer = setInterval(() => void this.poll(), POLL_MS);
  }

  /** One look at the node's alerts (skipped while the previous one is still out). */
  async poll(): Promise<void> {
    if (this.#isPolling) return;
    this.#isPolling = true;
    try {
      for (const alert of await this.#node.alerts()) this.#seen.set(`${alert.fingerprint}@${alert.startedAt}`, alert);
    } catch (error) {
      this.failures++;
      this.lastFailure = error instanceof Error ? error.message : String(error);
    } finally {
      this.#isPolling = false;
    }
  }

  /** Alert episodes that fired at or after `sinceMs`, of `rules` when given, earliest first. */
  fired(rules: readonly string[] | undefined, sinceMs: number): NodeAlert[] {
    return [...this.#seen.values()]
      .filter((alert) => typeof alert.firingAt === 'number' && alert.firingAt >= sinceMs && (rules === undefined || rules.includes(alert.rule)))
      .sort((a, b) => (a.firingAt as number) - (b.firingAt as number));
  }

  /** Episodes of `rules` that were firing at `atMs` (fired before and not resolved by then). */
  firingAt(rules: readonly string[], atMs: number): NodeAlert[] {
    return [...this.#seen.values()].filter(
      (alert) => rules.includes(alert.rule) && typeof alert.firingAt === 'number' && alert.firingAt < atMs && (typeof alert.resolvedAt !== 'number' || alert.resolvedAt > atMs),
    );
  }

  /** Every episode seen. */
  all(): NodeAlert[] {
    return [...this.#seen.values()];
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
