// The "Node ceiling": the least a Node.js reverse proxy can do. node:http in front, one undici Pool
// per upstream behind, round robin, streaming in both directions, hop-by-hop headers dropped, nothing
// else (no health checks, metrics, persistence, retries or timeouts). evenkeel's throughput target is
// a ratio of this one's, measured in the same run.
//
//   node bench/minimal-proxy.js --port 8081 --upstreams http://127.0.0.1:9001,http://127.0.0.1:9002
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

// RFC 9110 section 7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** undici's raw dispatch handler: no header object parsing, writes straight into the response. */
class ForwardHandler {
  constructor(res) {
    this.res = res;
    this.abort = null;
    this.resume = null;
    this.isDone = false;
  }

  onConnect(abort) {
    this.abort = abort;
  }

  onHeaders(statusCode, rawHeaders, resume) {
    this.resume = resume;
    const headers = [];
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i].toString('latin1');
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, rawHeaders[i + 1].toString('latin1'));
    }
    this.res.writeHead(statusCode, headers);
    return true;
  }

  onData(chunk) {
    // false pauses undici until the client drains the response (backpressure).
    if (this.res.write(chunk)) return true;
    this.res.once('drain', () => this.resume());
    return false;
  }

  onComplete() {
    this.isDone = true;
    this.res.end();
  }

  onError(error) {
    this.isDone = true;
    if (this.res.headersSent) {
      this.res.destroy(error);
    } else {
      this.res.writeHead(502, { 'content-type': 'text/plain' });
      this.res.end('bad gateway\n');
    }
  }
}

const { values } = parseArgs({ options: { port: { type: 'string' }, upstreams: { type: 'string' } } });
const pools = values.upstreams.split(',').map((origin) => new Pool(origin, { connections: 64, pipelining: 1, keepAliveTimeout: 120_000 }));
let next = 0;

const server = createServer((req, res) => {
  const pool = pools[next];
  next = next + 1 === pools.length ? 0 : next + 1;
  const headers = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1]);
  }
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const handler = new ForwardHandler(res);
  res.on('close', () => { if (!handler.isDone) handler.abort?.(new Error('client went away')); });
  pool.dispatch({ path: req.url, method: req.method, headers, body: hasBody ? req : null }, handler);
});
server.keepAliveTimeout = 120_000;
server.listen(Number(values.port), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); for (const pool of pools) pool.destroy(); process.exit(0); });
