import { z } from 'zod';

// Durations are written the way NGINX and Prometheus write them: "250ms", "2s", "30m", "1h", "1m30s".
const DURATION_PATTERN = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "1m30s" into milliseconds; returns undefined when the text is not a duration. */
export function parseDurationMs(text: string): number | undefined {
  if (!DURATION_PATTERN.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(DURATION_PART)) total += Number(match[1]) * MS_PER_UNIT[match[2]];
  return Math.round(total);
}

/** Formats milliseconds the way they are written in the config: 90000 → "1m30s", 250 → "250ms". */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let text = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return text;
}

/** A duration field: a string such as "2s" in YAML, milliseconds in code. */
export function duration() {
  return z
    .string({ error: 'expected a duration such as "500ms", "2s" or "30m"' })
    .regex(DURATION_PATTERN, { error: (issue) => `expected a duration such as "500ms", "2s" or "30m", got ${JSON.stringify(issue.input)}` })
    .transform((text) => parseDurationMs(text) as number);
}

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i;
const BYTES_PER_UNIT: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Parses "10mb" into bytes; returns undefined when the text is not a size. */
export function parseSizeBytes(text: string): number | undefined {
  const match = SIZE_PATTERN.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * BYTES_PER_UNIT[(match[2] ?? 'b').toLowerCase()]);
}

/** A size field: "10mb", "512k" or a number of bytes. */
export function size() {
  return z.union([
    z.number().int().nonnegative(),
    z
      .string()
      .regex(SIZE_PATTERN, { error: (issue) => `expected a size such as "512k" or "10mb", got ${JSON.stringify(issue.input)}` })
      .transform((text) => parseSizeBytes(text) as number),
  ], { error: 'expected a size such as "512k" or "10mb", or a number of bytes' });
}

/** A listen address "host:port" (IPv6 hosts in brackets). */
export function listenAddress() {
  return z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
    error: (issue) => `expected "host:port" such as "127.0.0.1:8080", got ${JSON.stringify(issue.input)}`,
  });
}

/** Splits "host:port" into its parts. */
export function splitListenAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  return { host, port: Number(address.slice(colon + 1)) };
}
