// Open-loop load at a fixed rate, for latency at a given load (wrk only does closed loop, and wrk2 is
// not packaged in Debian). Requests are sent on a schedule that does not wait for responses, and each
// latency is measured from the request's *scheduled* send time, not from when it was actually sent, so
// a stall of the server (or of this generator) shows up in the percentiles instead of silently delaying
// the next requests: the "coordinated omission" correction of Gil Tene's wrk2 and HdrHistogram.
//
// The schedule is a burst every millisecond (rate / 1000 requests per tick, fractions carried over),
// because Node's timers have millisecond resolution; a late timer counts against the latency.
//
//   node bench/open-loop.js --url http://127.0.0.1:8080/ --rate 5000 --duration 10 --warmup 2
// prints one JSON line: { scheduled, completed, errors, achievedRate, p50Ms, p90Ms, p99Ms, p999Ms, maxMs, serviceP99Ms, sendLagP99Ms }
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const TICK_MS = 1;
const DRAIN_TIMEOUT_MS = 5_000;

/** Value at quantile q (0..1) of sorted values, nearest-rank. */
function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** One request's dispatch handler (undici's raw handler API, no header parsing). */
class TimedRequest {
  constructor(run, scheduledMs, isMeasured) {
    this.run = run;
    this.scheduledMs = scheduledMs;
    this.sentMs = performance.now();
    this.isMeasured = isMeasured;
    this.isOk = false;
  }

  onConnect() {}

  onHeaders(statusCode) {
    this.isOk = statusCode >= 200 && statusCode < 400;
    return true;
  }

  onData() {
    return true;
  }

  onComplete() {
    this.run.finish(this, this.isOk);
  }

  onError() {
    this.run.finish(this, false);
  }
}

class OpenLoopRun {
  constructor({ url, rate, durationS, warmupS, connections }) {
    const target = new URL(url);
    this.path = target.pathname + target.search;
    this.host = target.host;
    this.pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 120_000 });
    this.perTick = (rate * TICK_MS) / 1000;
    this.warmupTicks = Math.round((warmupS * 1000) / TICK_MS);
    this.totalTicks = this.warmupTicks + Math.round((durationS * 1000) / TICK_MS);
    this.rate = rate;
    this.durationS = durationS;
    const capacity = Math.ceil(rate * durationS) + 16;
    this.latencies = new Float64Array(capacity);
    this.serviceTimes = new Float64Array(capacity);
    this.sendLags = new Float64Array(capacity);
    this.measured = 0;
    this.scheduled = 0;
    this.errors = 0;
    this.inflight = 0;
    this.tick = 0;
    this.owed = 0;
    this.startMs = 0;
    this.onIdle = null;
    this.isClosed = false;
    this.loop = this.loop.bind(this);
  }

  start() {
    this.startMs = performance.now();
    this.loop();
    return new Promise((resolve) => { this.onIdle = resolve; });
  }

  loop() {
    const now = performance.now();
    while (this.tick < this.totalTicks && this.startMs + this.tick * TICK_MS <= now) {
      const scheduledMs = this.startMs + this.tick * TICK_MS;
      const isMeasured = this.tick >= this.warmupTicks;
      this.owed += this.perTick;
      while (this.owed >= 1) {
        this.owed -= 1;
        this.send(scheduledMs, isMeasured);
      }
      this.tick++;
    }
    if (this.tick < this.totalTicks) {
      setTimeout(this.loop, Math.max(0, this.startMs + this.tick * TICK_MS - performance.now()));
    } else {
      this.awaitDrain();
    }
  }

  send(scheduledMs, isMeasured) {
    if (isMeasured) this.scheduled++;
    this.inflight++;
    this.pool.dispatch({ path: this.path, method: 'GET', headers: ['host', this.host] }, new TimedRequest(this, scheduledMs, isMeasured));
  }

  finish(request, isOk) {
    if (this.isClosed) return;
    this.inflight--;
    if (request.isMeasured) {
      if (!isOk) this.errors++;
      const now = performance.now();
      this.latencies[this.measured] = now - request.scheduledMs;
      this.serviceTimes[this.measured] = now - request.sentMs;
      this.sendLags[this.measured] = request.sentMs - request.scheduledMs;
      this.measured++;
    }
    if (this.inflight === 0 && this.tick >= this.totalTicks && this.onIdle) this.onIdle();
  }

  awaitDrain() {
    if (this.inflight === 0) { this.onIdle(); return; }
    // Requests still unanswered after the drain timeout count as errors at their age then.
    setTimeout(() => {
      if (this.inflight === 0) return;
      const now = performance.now();
      const missing = this.scheduled - this.measured;
      for (let i = 0; i < missing; i++) {
        this.latencies[this.measured] = now - (this.startMs + this.totalTicks * TICK_MS);
        this.serviceTimes[this.measured] = this.latencies[this.measured];
        this.sendLags[this.measured] = 0;
        this.measured++;
      }
      this.errors += missing;
      this.isClosed = true;
      const resolve = this.onIdle;
      this.onIdle = null;
      resolve();
    }, DRAIN_TIMEOUT_MS).unref();
  }

  summary() {
    const latencies = this.latencies.slice(0, this.measured).sort();
    const service = this.serviceTimes.slice(0, this.measured).sort();
    const lags = this.sendLags.slice(0, this.measured).sort();
    return {
      rate: this.rate,
      durationS: this.durationS,
      scheduled: this.scheduled,
      completed: this.measured - this.errors,
      errors: this.errors,
      achievedRate: (this.measured - this.errors) / this.durationS,
      p50Ms: quantile(latencies, 0.5),
      p90Ms: quantile(latencies, 0.9),
      p99Ms: quantile(latencies, 0.99),
      p999Ms: quantile(latencies, 0.999),
      maxMs: quantile(latencies, 1),
      serviceP99Ms: quantile(service, 0.99),
      // How late this generator sent (timer granularity, its own GC, CPU contention): part of every p99.
      sendLagP99Ms: quantile(lags, 0.99),
    };
  }
}

/** Runs this file as a child pinned to `core`; resolves to its summary. */
export function runOpenLoop(children, url, { rate, durationS, warmupS, connections, core }) {
  const args = [new URL(import.meta.url).pathname, '--url', url, '--rate', String(rate), '--duration', String(durationS), '--warmup', String(warmupS), '--connections', String(connections)];
  const child = children.spawn(core, process.execPath, args);
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk.toString(); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) { reject(new Error(`open-loop generator exited with code ${code}: ${child.output}`)); return; }
      try { resolve(JSON.parse(output.trim().split('\n').pop())); } catch (error) { reject(error); }
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, rate: { type: 'string', default: '5000' }, duration: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, connections: { type: 'string', default: '64' } },
  });
  const run = new OpenLoopRun({ url: values.url, rate: Number(values.rate), durationS: Number(values.duration), warmupS: Number(values.warmup), connections: Number(values.connections) });
  await run.start();
  process.stdout.write(`${JSON.stringify(run.summary())}\n`);
  await run.pool.destroy();
  process.exit(0);
}
