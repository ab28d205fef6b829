// The data plane: HTTP(S) listeners, routing, forwarding over keep-alive upstream pools, WebSocket
// tunnels, timeouts, retries and error answers. See docs/proxy.md.
export { buildSnapshot, retireSnapshot, type ProxySnapshot, type PoolRuntime } from './snapshot.js';
export { ProxyServer, MAX_HEADER_BYTES, CLIENT_KEEP_ALIVE_MS, CLIENT_HEADERS_TIMEOUT_MS, type ProxyServerOptions, type ProxyLogger } from './server.js';
export type { OutcomeObserver } from './outcome-observer.js';
export { compileRoutes, matchRoute, hostWithoutPort, type CompiledRoute } from './router.js';
export { UpstreamPool, UPSTREAM_CONNECTIONS } from './upstream.js';
export { CapacityQueue } from './capacity-queue.js';
export { TrustedProxies } from './forwarded.js';
export { PROXY_ERRORS, ProxyError, ProxyConfigError, type ProxyErrorCode } from './errors.js';
export { CLIENT_CLOSED_STATUS } from './exchange.js';
