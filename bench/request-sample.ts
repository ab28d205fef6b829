// What recording the request sample adds to each request (telemetry/request-sample.ts).
//
// After a request's first pick the proxy hashes the key the pool's balancer looks at (SampleKey) and
// writes one slot of the pool's ring (Telemetry.recordPick). This measures that against the pick it
// follows, in-process, for two pools:
//
//   cookie      persistence by cookie, a returning client whose session cookie sits among three
//               others (the costliest key: found in the Cookie header, hashed with the address)
//   source_ip   persistence by source address, a returning client
//
// Request strings are made flat (as Node's HTTP parser makes them) so that hashing sees what it sees
// in the proxy. Also printed: heap growth over a million recorded requests once the ring is full
// (about 0: nothing allocated per request outlives it).
// Run: node --expose-gc --import tsx bench/request-sample.ts [--requests 1000000]
import { acquire, BackendState, createPicker, PoolMembers, release, resetOutcome, type PickOutcome, type PickRequest, type Picker } from '../src/balance/index.js';
import { configSchema, type ConfigInput } from '../src/config/index.js';
import { SampleKey } from '../src/proxy/sample-key.js';
import { Telemetry } from '../src/telemetry/index.js';

const argIndex = process.argv.indexOf('--requests');
const REQUESTS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 1_000_000;
const ROUNDS = 5;
const CLIENTS = 64;

/** A sequential (flat) copy of a string, like the ones llhttp hands to JavaScript. */
function flat(text: string): string {
  return Buffer.from(text, 'latin1').toString('latin1');
}

interface Scenario {
  name: string;
  poolName: string;
  picker: Picker;
  members: PoolMembers;
  sampleKey: SampleKey;
  requests: PickRequest[];
}

function scenario(name: string, persistence: Record<string, unknown>): Scenario {
  const config = configSchema.parse({
    pools: { [name]: { persistence, backends: [1, 2, 3, 4, 5].map((i) => ({ id: `web-${i}`, url: `http://10.0.0.${i}:80` })) } },
  } as ConfigInput);
  const pool = config.pools[name];
  const members = new PoolMembers(name, pool.backends.map((b) => new BackendState(name, b.id, b.url, b.weight)));
  const picker = createPicker(pool, members, { cookieSecret: 'bench-secret-0123456789' });
  const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };
  const requests: PickRequest[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const sourceIp = flat(`203.0.113.${i}`);
    resetOutcome(outcome);
    picker.pick({ sourceIp, path: '/', headers: {} }, outcome, undefined);
    const session = outcome.setCookie === undefined ? 'none=1' : outcome.setCookie.split(';')[0];
    requests.push({ sourceIp, path: flat(`/catalog/item/${i}?ref=home`), headers: { cookie: flat(`_ga=GA1.2.1234567890.1700000000; theme=dark; ${session}; consent=yes`) } });
  }
  return { name, poolName: name, picker, members, sampleKey: new SampleKey(pool), requests };
}

const telemetry = new Telemetry();
const outcome: PickOutcome = { isPinned: false, isSpilled: false, setCookie: undefined };

function run(s: Scenario, count: number, withSample: boolean): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const request = s.requests[i & (CLIENTS - 1)];
    resetOutcome(outcome);
    const backend = s.picker.pick(request, outcome, undefined) as BackendState;
    acquire(s.members, backend);
    if (withSample) telemetry.recordPick(s.poolName, 1_700_000_000_000 + i, s.sampleKey.hash(request), backend.id, s.members.totalInflight, outcome.isPinned, outcome.isSpilled);
    release(s.members, backend);
  }
  return Number(process.hrtime.bigint() - start) / count;
}

const median = (values: number[]) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const s of [scenario('cookie', { by: 'cookie' }), scenario('source_ip', { by: 'source_ip' })]) {
  run(s, 200_000, true);
  run(s, 200_000, false);
  const plain: number[] = [];
  const sampled: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    plain.push(run(s, REQUESTS, false));
    sampled.push(run(s, REQUESTS, true));
  }
  const pickNs = median(plain);
  const sampledNs = median(sampled);
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  run(s, 1_000_000, true);
  globalThis.gc?.();
  const heapGrowthKb = (process.memoryUsage().heapUsed - heapBefore) / 1024;
  console.log(
    `${s.name.padEnd(10)} pick ${pickNs.toFixed(0)} ns, pick + sample ${sampledNs.toFixed(0)} ns: the sample adds ${(sampledNs - pickNs).toFixed(0)} ns a request; ` +
      `heap growth over 1M recorded requests ${heapGrowthKb.toFixed(0)} KB${globalThis.gc ? '' : ' (run with --expose-gc for a clean figure)'}`,
  );
}
