import type { IncomingMessage } from 'node:http';
import type { AccessLog } from '../telemetry/index.js';

/** Writes one access-log line for a request; only called when the access log is on. */
export function writeAccessEntry(
  log: AccessLog,
  req: IncomingMessage,
  status: number,
  pool: string,
  backend: string,
  latencyMs: number,
  bytesIn: number,
  bytesOut: number,
  clientIp: string,
  isPinned: boolean,
  error: string,
): void {
  log.write({
    method: req.method as string,
    host: req.headers.host ?? '',
    path: req.url as string,
    status,
    pool,
    backend,
    latencyMs,
    bytesIn,
    bytesOut,
    clientIp,
    isPinned,
    error,
  });
}
