// NGINX in two roles: the cheapest possible upstream (`return 200 "ok"`) and the reference proxy.
// Each instance gets its own prefix directory and config and runs in the foreground (daemon off) as a
// child of the harness, so the system's nginx service is neither needed nor touched.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// NGINX closes a keep-alive connection after 1000 requests by default (keepalive_requests), on the
// client side and on the upstream side; a benchmark would then measure reconnects. Raised on both.
const KEEPALIVE_REQUESTS = 1_000_000;

function preamble(prefix) {
  for (const dir of ['logs', 'tmp']) mkdirSync(join(prefix, dir), { recursive: true });
  return `daemon off;
master_process on;
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs', 'error.log')} warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests ${KEEPALIVE_REQUESTS};
  keepalive_timeout 120s;
  client_body_temp_path ${join(prefix, 'tmp', 'body')};
  proxy_temp_path ${join(prefix, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'tmp', 'scgi')};
`;
}

/** Writes the config of one nginx worker serving a 2-byte "ok" on each port; returns its path. */
export function writeUpstreamConfig(prefix, ports) {
  const servers = ports.map((port) => `  server { listen 127.0.0.1:${port} reuseport; location / { return 200 "ok"; } }\n`).join('');
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, `${preamble(prefix)}${servers}}\n`);
  return file;
}

/** Writes the config of one nginx worker proxying port to the upstreams round-robin over keep-alive. */
export function writeProxyConfig(prefix, port, upstreamPorts) {
  const servers = upstreamPorts.map((p) => `    server 127.0.0.1:${p};\n`).join('');
  const file = join(prefix, 'nginx.conf');
  writeFileSync(file, `${preamble(prefix)}  upstream bench {
${servers}    keepalive 64;
    keepalive_requests ${KEEPALIVE_REQUESTS};
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://bench;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
`);
  return file;
}

/** Arguments for `nginx` running the given config with its own prefix. */
export function nginxArgs(prefix, configFile) {
  return ['-p', prefix, '-c', configFile, '-e', join(prefix, 'logs', 'error.log')];
}
