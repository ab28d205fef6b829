// The per-request total timeout (proxy.timeouts.request) without a timer per request. Every request
// of one snapshot has the same timeout, so deadlines come in the order requests arrive: a list in
// arrival order is also in deadline order. Adding is appending, finishing is unlinking (the entries
// carry their own links, so neither allocates), and one timer, armed for the oldest deadline, serves
// the whole list. Node's own timers keep a list per duration too, but allocate a Timeout object and
// link it on every setTimeout(): 0.28 µs a request for the linking alone in perf, for a timer that
// almost never fires.

/** What the list holds: an object with its own links (an Exchange). */
export interface DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined;
  deadlineNext: DeadlineEntry | undefined;
  /** performance.now() time the entry is due; undefined while not in a list. */
  deadlineAtMs: number | undefined;
  /** Called once when the deadline passes while the entry is still in the list (it is unlinked first). */
  onDeadline(): void;
}

export class DeadlineList {
  readonly timeoutMs: number;
  private head: DeadlineEntry | undefined;
  private tail: DeadlineEntry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly fire = (): void => this.expire();

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
  }

  /** Adds `entry`, which started at `startMs` (performance.now()); it is due at startMs + timeoutMs. */
  add(entry: DeadlineEntry, startMs: number): void {
    const atMs = startMs + this.timeoutMs;
    entry.deadlineAtMs = atMs;
    entry.deadlineNext = undefined;
    entry.deadlinePrev = this.tail;
    if (this.tail === undefined) this.head = entry;
    else this.tail.deadlineNext = entry;
    this.tail = entry;
    if (this.timer === undefined) this.arm(atMs);
  }

  /** Takes `entry` out (it finished); a no-op for an entry not in the list. */
  remove(entry: DeadlineEntry): void {
    if (entry.deadlineAtMs === undefined) return;
    const { deadlinePrev: prev, deadlineNext: next } = entry;
    if (prev === undefined) this.head = next;
    else prev.deadlineNext = next;
    if (next === undefined) this.tail = prev;
    else next.deadlinePrev = prev;
    entry.deadlinePrev = entry.deadlineNext = entry.deadlineAtMs = undefined;
    // The timer stays armed: when it fires for an entry that is gone it re-arms for the new head,
    // which is cheaper than clearing and re-arming a timer on nearly every request.
  }

  /** True when no entry waits. */
  get isEmpty(): boolean {
    return this.head === undefined;
  }

  private arm(atMs: number): void {
    // Node timers have millisecond resolution: round up, so the entry is due when it fires.
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(atMs - performance.now())));
    // Requests in flight keep the process alive through their sockets, not through this timer.
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    let entry = this.head;
    while (entry !== undefined && (entry.deadlineAtMs as number) <= now) {
      this.remove(entry);
      entry.onDeadline();
      entry = this.head;
    }
    if (entry !== undefined) this.arm(entry.deadlineAtMs as number);
  }
}
