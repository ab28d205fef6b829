// @fastify/http-proxy as a comparison target: round robin over the upstreams via getUpstream().
// Gotcha: the plugin ignores replyOptions.getUpstream() unless `upstream` is the empty string.
//
//   node bench/fastify-proxy-server.js --port 8083 --upstreams http://127.0.0.1:9001,http://127.0.0.1:9002
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstreams: { type: 'string' } } });
const targets = values.upstreams.split(',');
let next = 0;

const app = Fastify({ logger: false, keepAliveTimeout: 120_000 });
await app.register(httpProxy, {
  upstream: '',
  replyOptions: {
    getUpstream() {
      const target = targets[next];
      next = next + 1 === targets.length ? 0 : next + 1;
      return target;
    },
  },
});
await app.listen({ port: Number(values.port), host: '127.0.0.1' });
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)); });
