/**
 * First-in-first-out queues by key, all running concurrently: the notifications of one alert to one
 * receiver go out in order (a "resolved" never overtakes its "firing"), while a slow receiver or
 * alert does not hold up the others. Jobs must not reject; they log their own failures.
 */
export class OrderedQueues {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #maxPending: number;
  #pending = 0;

  constructor(maxPending: number) {
    this.#maxPending = maxPending;
  }

  /** Jobs queued or running. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues `job` after the jobs of `key`; false (and nothing queued) when the queues are full. */
  enqueue(key: string, job: () => Promise<void>): boolean {
    if (this.#pending >= this.#maxPending) return false;
    this.#pending++;
    const tail = (this.#tails.get(key) ?? Promise.resolve()).then(job).then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      this.#pending--;
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return true;
  }

  /** Resolves when every job queued so far, and every job they queued, has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all(this.#tails.values());
  }
}
