// The bounded FIFO of requests waiting for a backend slot when every selectable backend of a pool
// is at max_inflight (HAProxy's per-backend queue with `timeout queue`). A waiter is woken when any
// backend of the pool releases a slot; cancelled waiters (client gone, timed out) are skipped
// lazily so that cancelling is O(1).

/** Something that waits in the queue; the proxy's request exchange implements it. */
export interface QueueWaiter {
  /** Set by the queue while the waiter is queued; cleared on wake or cancel. */
  isQueued: boolean;
  /** Called when a slot may be free; returns false if it still could not get one (stays at the head). */
  onSlotFree(): boolean;
}

export class CapacityQueue {
  /** Maximum waiting requests (pool.queue.size); 0 means no waiting at all. */
  size: number;
  timeoutMs: number;
  private items: (QueueWaiter | undefined)[] = [];
  private head = 0;
  /** Waiters actually queued (not cancelled). */
  private live = 0;
  private isWaking = false;
  private isWakePending = false;

  constructor(size: number, timeoutMs: number) {
    this.size = size;
    this.timeoutMs = timeoutMs;
  }

  get length(): number {
    return this.live;
  }

  /** Adds a waiter at the tail; false when the queue is full. */
  enqueue(waiter: QueueWaiter): boolean {
    if (this.live >= this.size) return false;
    waiter.isQueued = true;
    this.items.push(waiter);
    this.live++;
    return true;
  }

  /** Removes a waiter (timeout, client gone); O(1), the slot is skipped on the next wake. */
  cancel(waiter: QueueWaiter): void {
    if (!waiter.isQueued) return;
    waiter.isQueued = false;
    this.live--;
    if (this.live === 0 && !this.isWaking) this.clear();
  }

  /** A slot was released somewhere in the pool: let waiters at the head try to take it. */
  wake(): void {
    // Every finished request calls this; most find nobody waiting (and the queue already cleared).
    if (this.live === 0) return;
    // A woken waiter dispatches synchronously and may fail synchronously, releasing its slot and
    // calling wake() again; run that as another pass of this loop instead of re-entering it.
    if (this.isWaking) {
      this.isWakePending = true;
      return;
    }
    this.isWaking = true;
    do {
      this.isWakePending = false;
      this.wakeHead();
    } while (this.isWakePending && this.live > 0);
    this.isWaking = false;
  }

  private wakeHead(): void {
    while (this.live > 0 && this.head < this.items.length) {
      const waiter = this.items[this.head];
      this.items[this.head++] = undefined;
      if (waiter === undefined || !waiter.isQueued) continue;
      waiter.isQueued = false;
      this.live--;
      if (!waiter.onSlotFree()) {
        // Still no capacity for it (its pick is constrained, e.g. by a load bound): keep its place.
        this.items[--this.head] = waiter;
        waiter.isQueued = true;
        this.live++;
        return;
      }
    }
    if (this.live === 0) this.clear();
    else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private clear(): void {
    // Setting an array's length goes through V8's runtime even when it does not change it.
    if (this.items.length !== 0) this.items.length = 0;
    this.head = 0;
  }
}
