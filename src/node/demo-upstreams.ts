import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/index.js';

// DEMO ONLY. The `demo:` section of a config asks evenkeel to start a few tiny web servers in its
// own process, so that `npm start` shows balancing with nothing else installed. They answer every
// path with a short page naming themselves, and /healthz with 200.

export interface DemoUpstream {
  readonly port: number;
  readonly name: string;
  close(): Promise<void>;
}

type DemoUpstreamConfig = NonNullable<Config['demo']>['upstreams'][number];

/** Starts one demo upstream on 127.0.0.1:port. */
export function startDemoUpstream(options: DemoUpstreamConfig, name: string): Promise<DemoUpstream> {
  let served = 0;
  const server = http.createServer((request, response) => {
    served++;
    const isHealthCheck = request.url === '/healthz';
    const fail = !isHealthCheck && options.error_rate > 0 && Math.random() < options.error_rate;
    const status = fail ? 500 : 200;
    const body = isHealthCheck
      ? 'ok\n'
      : `<!doctype html><title>${name}</title><h1>Served by ${name}</h1>` +
        `<p>demo upstream on 127.0.0.1:${options.port}, request #${served}.</p>` +
        `<p>Reload to be balanced again; see the shares at the admin API (<code>/api/v1/pools</code>).</p>\n`;
    const reply = () => {
      response.writeHead(status, {
        'content-type': isHealthCheck ? 'text/plain' : 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'x-demo-upstream': name,
      });
      response.end(body);
    };
    // Drain the request body before answering so keep-alive connections stay reusable.
    request.resume();
    request.on('end', () => {
      if (options.latency > 0 && !isHealthCheck) setTimeout(reply, options.latency);
      else reply();
    });
  });
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        name,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Starts every upstream of the config's demo section (none when there is no such section). */
export async function startDemoUpstreams(config: Config): Promise<DemoUpstream[]> {
  const upstreams = config.demo?.upstreams ?? [];
  const started: DemoUpstream[] = [];
  try {
    for (let i = 0; i < upstreams.length; i++) started.push(await startDemoUpstream(upstreams[i], `demo-${i + 1}`));
  } catch (error) {
    await Promise.all(started.map((upstream) => upstream.close()));
    throw error;
  }
  return started;
}
