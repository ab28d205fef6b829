import { executionAsyncResource } from 'node:async_hooks';

// Keeps the shape of process.nextTick()'s queue entries alive for the life of a serving process.
//
// Node builds each nextTick() entry as an object literal with computed keys
// (`{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`), and a request runs
// nextTick() about a dozen times (stream reads, writes, 'finish', 'close'). V8 caches the hidden class
// reached after each key in an inline cache that refers to it weakly. When a full garbage collection
// runs at a moment when no entry is alive (an idle process, or the forced collection once the node is
// up: heap-budget.ts), those hidden classes die; the next entry builds new ones, and V8's cache for
// literals with computed keys treats "the class I knew is gone" as a second class and turns
// megamorphic for good. Every nextTick() from then on defines its keys through the runtime: measured
// here, 8-10 µs a request in V8's slow property definition (about 5% of the proxy's CPU), while
// Node's own tiny proxy, which never idles through a full collection, pays nothing.
//
// Holding one entry keeps its hidden class, and through the class's back pointers every class
// before it, alive, so the cache never sees one die. executionAsyncResource() inside a nextTick()
// callback is that entry (Node pushes it as the current async resource while the callback runs); no
// async hook is enabled.

/** The one entry held; a second call keeps the first. */
const retained: object[] = [];

/**
 * Runs `then` from inside a process.nextTick() callback and keeps that callback's queue entry alive
 * from then on. A full collection run from `then` therefore already finds the entry alive.
 */
export function retainTickShape(then: () => void = () => {}): void {
  process.nextTick(() => {
    if (retained.length === 0) retained.push(executionAsyncResource());
    then();
  });
}
