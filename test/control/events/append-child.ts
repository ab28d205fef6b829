// Spawned by durability.test.ts: appends events until killed, printing each seq once it is committed.
import { appendEvent, openStore } from '../../../src/control/index.js';

const [url, actor] = process.argv.slice(2);
if (url === undefined || actor === undefined) throw new Error('usage: append-child.ts STORE_URL ACTOR');
const store = await openStore(url);
// Bounded so a parent that forgets to kill it does not leave it running: far more than any test waits for.
for (let i = 0; i < 100_000; i += 1) {
  const event = await appendEvent(store, { kind: 'change.applied', actor, subject: `change:${i}`, data: { i } });
  process.stdout.write(`${event.seq}\n`);
}
await store.close();
