import { describe, expect, it } from 'vitest';
import { CapacityQueue } from '../../src/proxy/index.js';

class Waiter {
  isQueued = false;
  constructor(readonly name: string, readonly log: string[], public accepts = true) {}
  onSlotFree(): boolean {
    if (this.accepts) this.log.push(this.name);
    return this.accepts;
  }
}

describe('capacity queue', () => {
  it('wakes waiters first in, first out, one per freed slot', () => {
    const log: string[] = [];
    const queue = new CapacityQueue(10, 1000);
    const [a, b, c] = ['a', 'b', 'c'].map((n) => new Waiter(n, log));
    for (const w of [a, b, c]) queue.enqueue(w);
    a.accepts = true;
    b.accepts = false;
    queue.wake();
    expect(log).toEqual(['a']);
    expect(queue.length).toBe(2);
    b.accepts = true;
    queue.wake();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(0);
  });

  it('refuses waiters beyond its size and a size of 0 refuses all', () => {
    const queue = new CapacityQueue(1, 1000);
    expect(queue.enqueue(new Waiter('a', []))).toBe(true);
    expect(queue.enqueue(new Waiter('b', []))).toBe(false);
    expect(new CapacityQueue(0, 1000).enqueue(new Waiter('c', []))).toBe(false);
  });

  it('skips cancelled waiters and frees their place at once', () => {
    const log: string[] = [];
    const queue = new CapacityQueue(2, 1000);
    const a = new Waiter('a', log);
    const b = new Waiter('b', log);
    queue.enqueue(a);
    queue.enqueue(b);
    queue.cancel(a);
    expect(queue.length).toBe(1);
    expect(queue.enqueue(new Waiter('c', log))).toBe(true);
    queue.wake();
    expect(log).toEqual(['b', 'c']);
  });

  it('survives a waiter that wakes the queue again from inside onSlotFree', () => {
    const log: string[] = [];
    const queue = new CapacityQueue(5, 1000);
    const reentrant = { isQueued: false, onSlotFree: () => (log.push('r'), queue.wake(), true) };
    queue.enqueue(reentrant);
    queue.enqueue(new Waiter('x', log));
    queue.wake();
    expect(log).toEqual(['r', 'x']);
    expect(queue.length).toBe(0);
  });
});
