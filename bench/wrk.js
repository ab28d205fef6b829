// Closed-loop throughput with wrk: a fixed number of connections, each sending its next request as soon
// as the previous response arrives, so requests/s is the server's capacity at that concurrency.
const UNIT_TO_MS = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function parseDurationMs(text) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) throw new Error(`unexpected wrk duration "${text}"`);
  return Number(match[1]) * UNIT_TO_MS[match[2]];
}

/** Parses `wrk --latency` output into { requestsPerSecond, p50Ms, p99Ms, requests, errors }. */
export function parseWrkOutput(output) {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output);
  const p99 = /^\s+99%\s+(\S+)/m.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (!rps || !p50 || !p99 || !total) throw new Error(`could not parse wrk output:\n${output}`);
  let errors = 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  if (socket) errors += Number(socket[1]) + Number(socket[2]) + Number(socket[3]) + Number(socket[4]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  if (non2xx) errors += Number(non2xx[1]);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: parseDurationMs(p50[1]),
    p99Ms: parseDurationMs(p99[1]),
    requests: Number(total[1]),
    errors,
  };
}

/** Runs wrk pinned to `core` against url for durationS seconds; resolves to the parsed result. */
export function runWrk(children, url, { durationS, connections, core }) {
  const child = children.spawn(core, 'wrk', ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', url]);
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk.toString(); });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`wrk exited with code ${code}: ${child.output}`));
      else {
        try { resolve(parseWrkOutput(output)); } catch (error) { reject(error); }
      }
    });
  });
}
