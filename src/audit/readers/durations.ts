// Time values as NGINX and HAProxy write them, in milliseconds. The two products disagree on a bare
// number: NGINX reads "60" as 60 seconds, HAProxy reads "5000" as 5000 milliseconds.

const NGINX_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };
const HAPROXY_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** NGINX time ("10s", "1m30s", "500ms", "60" = seconds); undefined when it is not one. */
export function parseNginxDurationMs(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // ngx_parse_time accepts a sequence of number+unit parts, largest first ("1h30m").
  const parts = text.match(/^(?:\d+(?:ms|[smhdwMy]))+$/) === null ? undefined : text.match(/\d+(?:ms|[smhdwMy])/g);
  if (parts === undefined || parts === null) return undefined;
  let totalMs = 0;
  for (const part of parts) {
    const [, digits, unit] = /^(\d+)(ms|[smhdwMy])$/.exec(part) ?? [];
    totalMs += Number(digits) * (NGINX_UNITS_MS[unit ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(totalMs) ? totalMs : undefined;
}

/** HAProxy time ("5s", "1m", "500ms", "5000" = milliseconds); undefined when it is not one. */
export function parseHaproxyDurationMs(text: string): number | undefined {
  const match = /^(\d+)(us|ms|s|m|h|d)?$/.exec(text);
  if (match === null) return undefined;
  return Number(match[1]) * (HAPROXY_UNITS_MS[match[2] ?? 'ms'] ?? 1);
}

/** A non-negative integer as written, or undefined. */
export function parseCount(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}
