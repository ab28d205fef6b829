// Fallback upstream when nginx is not installed: node:http answering "ok" (2 bytes) on every port
// given. Much slower than nginx, so the ceiling ("direct") is lower; run.js says so in its output.
//
//   node bench/node-upstream.js --ports 9001,9002,9003
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { ports: { type: 'string' } } });
const servers = values.ports.split(',').map((port) => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  server.keepAliveTimeout = 120_000;
  server.listen(Number(port), '127.0.0.1');
  return server;
});
process.on('SIGTERM', () => { for (const server of servers) server.close(); process.exit(0); });
