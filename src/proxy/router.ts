import type { IncomingHttpHeaders } from 'node:http';
import type { RouteConfig } from '../config/index.js';

// Routes are compiled once per snapshot and tried in order; the first match wins (Traefik's and
// NGINX's "first location that matches" rule is easy to reason about in a config review).

export interface CompiledRoute {
  readonly poolName: string;
  /** Lower-case exact host, or undefined. */
  readonly host: string | undefined;
  /** For "*.example.com": ".example.com" (lower-case); the bare apex does not match. */
  readonly hostSuffix: string | undefined;
  readonly pathPrefix: string | undefined;
  /** [lower-case name, value] pairs that must all match exactly. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** Compiles the config's routes; with no routes and exactly one pool, everything goes to that pool. */
export function compileRoutes(routes: readonly RouteConfig[], poolNames: readonly string[]): CompiledRoute[] {
  if (routes.length === 0) {
    return poolNames.length === 1 ? [{ poolName: poolNames[0], host: undefined, hostSuffix: undefined, pathPrefix: undefined, headers: [] }] : [];
  }
  return routes.map((route) => {
    const host = route.match.host?.toLowerCase();
    const isWildcard = host !== undefined && host.startsWith('*.');
    return {
      poolName: route.pool,
      host: isWildcard ? undefined : host,
      hostSuffix: isWildcard ? host.slice(1) : undefined,
      pathPrefix: route.match.path_prefix,
      headers: Object.entries(route.match.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value] as const),
    };
  });
}

/** The host part of a Host header, lower-cased, without the port ("Example.com:8080" → "example.com"). */
export function hostWithoutPort(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return '';
  let end = hostHeader.length;
  if (hostHeader.charCodeAt(0) === 91 /* [ */) {
    const close = hostHeader.indexOf(']');
    end = close === -1 ? end : close + 1;
  } else {
    const colon = hostHeader.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  const host = end === hostHeader.length ? hostHeader : hostHeader.slice(0, end);
  // Most clients send lower-case hosts already; avoid allocating when they do.
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i);
    if (code >= 65 && code <= 90) return host.toLowerCase();
  }
  return host;
}

/**
 * The first route matching the request, or undefined. `hostHeader` is the Host header as received; it
 * is reduced to its host (hostWithoutPort) only once a route asks for one, so a config whose routes
 * match on paths or headers alone pays nothing for it. `path` is the request target (may carry a query).
 */
export function matchRoute(routes: readonly CompiledRoute[], hostHeader: string | undefined, path: string, headers: IncomingHttpHeaders): CompiledRoute | undefined {
  let host: string | undefined;
  for (let i = 0; i < routes.length; i++) {
    const route = routes[i];
    if (route.host !== undefined || route.hostSuffix !== undefined) {
      host ??= hostWithoutPort(hostHeader);
      if (route.host !== undefined && route.host !== host) continue;
      if (route.hostSuffix !== undefined && !(host.length > route.hostSuffix.length && host.endsWith(route.hostSuffix))) continue;
    }
    if (route.pathPrefix !== undefined && !path.startsWith(route.pathPrefix)) continue;
    if (route.headers.length > 0 && !headersMatch(route.headers, headers)) continue;
    return route;
  }
  return undefined;
}

function headersMatch(wanted: ReadonlyArray<readonly [string, string]>, headers: IncomingHttpHeaders): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const actual = headers[wanted[i][0]];
    if (actual !== wanted[i][1]) return false;
  }
  return true;
}
