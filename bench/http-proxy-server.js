// node-http-proxy (the `http-proxy` package) as a comparison target: round robin over the upstreams
// through one keep-alive agent, the way its README recommends for performance.
//
//   node bench/http-proxy-server.js --port 8082 --upstreams http://127.0.0.1:9001,http://127.0.0.1:9002
import { Agent, createServer } from 'node:http';
import { parseArgs } from 'node:util';
import httpProxy from 'http-proxy';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstreams: { type: 'string' } } });
const targets = values.upstreams.split(',');
const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, keepAliveMsecs: 120_000 });
const proxy = httpProxy.createProxyServer({ agent });
proxy.on('error', (_error, _req, res) => {
  if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
  res.end('bad gateway\n');
});
let next = 0;

const server = createServer((req, res) => {
  const target = targets[next];
  next = next + 1 === targets.length ? 0 : next + 1;
  proxy.web(req, res, { target });
});
server.keepAliveTimeout = 120_000;
server.listen(Number(values.port), '127.0.0.1');
process.on('SIGTERM', () => { server.close(); agent.destroy(); process.exit(0); });
