import { describe, expect, it } from 'vitest';
import { DeadlineList, type DeadlineEntry } from '../../src/proxy/deadline-list.js';

// The list behind proxy.timeouts.request: entries are due timeoutMs after they started, in the order
// they were added, with one timer for all of them.

/** Entries that fired, in order, and a way to await the n-th one (bounded in time). */
class Fired {
  readonly entries: Entry[] = [];
  private waiter: { count: number; resolve: () => void } | undefined;

  push(entry: Entry): void {
    this.entries.push(entry);
    if (this.waiter !== undefined && this.entries.length >= this.waiter.count) this.waiter.resolve();
  }

  count(count: number, timeoutMs = 2000): Promise<void> {
    if (this.entries.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.entries.length} of ${count} entries fired within ${timeoutMs} ms`)), timeoutMs);
      this.waiter = { count, resolve: () => { clearTimeout(timer); resolve(); } };
    });
  }
}

class Entry implements DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined = undefined;
  deadlineNext: DeadlineEntry | undefined = undefined;
  deadlineAtMs: number | undefined = undefined;
  firedAtMs: number | undefined;
  constructor(
    readonly name: string,
    private readonly fired: Fired,
    private readonly onFire?: () => void,
  ) {}

  onDeadline(): void {
    this.firedAtMs = performance.now();
    this.onFire?.();
    this.fired.push(this);
  }
}

describe('DeadlineList', () => {
  it('calls each entry still in the list once its timeout has passed, oldest first, never early', async () => {
    const fired = new Fired();
    const list = new DeadlineList(40);
    const entries = ['a', 'b', 'c', 'd'].map((name) => new Entry(name, fired));
    const started = new Map<Entry, number>();
    for (const entry of entries) {
      const now = performance.now();
      started.set(entry, now);
      list.add(entry, now);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // b finished in time: it must not fire.
    list.remove(entries[1]);
    await fired.count(3);
    expect(fired.entries.map((entry) => entry.name)).toEqual(['a', 'c', 'd']);
    for (const entry of fired.entries) expect(entry.firedAtMs! - started.get(entry)!).toBeGreaterThanOrEqual(40);
    expect(list.isEmpty).toBe(true);
    expect(entries[1].firedAtMs).toBeUndefined();
  });

  it('keeps the list linked through removals at the head, the middle and the tail', () => {
    const fired = new Fired();
    const list = new DeadlineList(60_000);
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Entry(name, fired));
    for (const entry of [a, b, c, d]) list.add(entry, 0);
    list.remove(a);
    list.remove(c);
    list.remove(c); // twice: a no-op
    expect(b.deadlinePrev).toBeUndefined();
    expect(b.deadlineNext).toBe(d);
    expect(d.deadlinePrev).toBe(b);
    list.remove(d);
    list.remove(b);
    expect(list.isEmpty).toBe(true);
    list.add(a, 0);
    expect(a.deadlinePrev).toBeUndefined();
    expect(a.deadlineNext).toBeUndefined();
    list.remove(a);
  });

  it('re-arms for the next entry after the oldest left early, and lets an entry that fires remove others', async () => {
    const fired = new Fired();
    const list = new DeadlineList(30);
    const late = new Entry('late', fired);
    const first = new Entry('first', fired);
    const second = new Entry('second', fired, () => list.remove(late));
    list.add(first, performance.now());
    list.remove(first);
    await new Promise((resolve) => setTimeout(resolve, 10));
    list.add(second, performance.now());
    list.add(late, performance.now());
    await fired.count(1);
    expect(fired.entries.map((entry) => entry.name)).toEqual(['second']);
    expect(list.isEmpty).toBe(true);
  });
});
