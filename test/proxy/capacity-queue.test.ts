import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
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

  it('serves waiters in arrival order and never holds more than its size, for any mix of operations', () => {
    const operation = fc.oneof(fc.constant({ kind: 'enqueue' as const }), fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }), fc.record({ kind: fc.constant('wake' as const), slots: fc.integer({ min: 0, max: 3 }) }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(operation, { maxLength: 60 }), (size, operations) => {
        const queue = new CapacityQueue(size, 1000);
        const woken: number[] = [];
        const waiting: { id: number; isQueued: boolean; onSlotFree(): boolean }[] = [];
        let freeSlots = 0;
        let nextId = 0;
        for (const op of operations) {
          if (op.kind === 'enqueue') {
            const waiter = {
              id: nextId++,
              isQueued: false,
              onSlotFree() {
                if (freeSlots === 0) return false;
                freeSlots--;
                woken.push(this.id);
                return true;
              },
            };
            if (queue.enqueue(waiter)) waiting.push(waiter);
          } else if (op.kind === 'cancel') {
            const live = waiting.filter((w) => w.isQueued);
            if (live.length > 0) queue.cancel(live[op.pick % live.length]);
          } else {
            freeSlots = op.slots;
            queue.wake();
            // A wake hands out every free slot it can: afterwards nobody waits while a slot is free.
            expect(freeSlots === 0 || queue.length === 0).toBe(true);
          }
          expect(queue.length).toBe(waiting.filter((w) => w.isQueued).length);
          expect(queue.length).toBeLessThanOrEqual(size);
        }
        expect(woken).toEqual([...woken].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});
