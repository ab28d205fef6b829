import pino, { type DestinationStream, type Logger } from 'pino';

/** pino's SonicBoom file-descriptor stream (sonic-boom itself is not our direct dependency). */
type SonicBoom = ReturnType<typeof pino.destination>;
import type { AccessLog, AccessLogEntry } from './sink.js';

export interface AccessLogOptions {
  /** A stream, or a file descriptor; standard output (fd 1) by default. */
  destination?: DestinationStream | number;
}

/** An access log that can be flushed (on shutdown, so the last lines are not lost). */
export interface FlushableAccessLog extends AccessLog {
  /** Writes out buffered lines synchronously (for an exit path that cannot wait); a write already under way completes on its own. */
  flush(): void;
  /**
   * Writes out every line, then closes a file descriptor the log was given (never 1 or 2). For a
   * graceful stop: resolves once every line has reached the destination.
   */
  close(): Promise<void>;
}

/**
 * The structured access log: one JSON object per line with `kind: "access"`, `time` (ISO 8601) and
 * the fields of AccessLogEntry. Off unless the node creates it (`proxy.access_log: true` or `--access-log`). Writes go
 * through pino's asynchronous SonicBoom destination so a slow terminal does not stall the proxy.
 */
export function createAccessLog(options: AccessLogOptions = {}): FlushableAccessLog {
  const target = options.destination ?? 1;
  const owned = typeof target === 'number' ? pino.destination({ fd: target, sync: false }) : undefined;
  const destination = owned ?? (target as DestinationStream);
  const logger = pino(
    {
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      // An access line is not a log event with a severity: tag it instead of writing "level":30
      // (an empty level object would make pino write invalid JSON, "{,").
      formatters: { level: () => ({ kind: 'access' }) },
    },
    destination,
  );
  return new PinoAccessLog(logger, owned);
}

class PinoAccessLog implements FlushableAccessLog {
  private readonly logger: Logger;
  /** The SonicBoom we opened on a file descriptor; a caller's stream is the caller's to flush. */
  private readonly owned: SonicBoom | undefined;
  private isClosed = false;

  constructor(logger: Logger, owned: SonicBoom | undefined) {
    this.logger = logger;
    this.owned = owned;
  }

  write(entry: AccessLogEntry): void {
    this.logger.info(entry);
  }

  flush(): void {
    // pino's logger.flush(cb) calls back at once when nothing is batched (minLength 0) even while
    // a write is still pending, so flush the SonicBoom itself.
    this.owned?.flushSync();
  }

  close(): Promise<void> {
    const owned = this.owned;
    if (owned === undefined || this.isClosed) return Promise.resolve();
    this.isClosed = true;
    return new Promise((resolve, reject) => {
      owned.once('close', () => resolve());
      owned.once('error', reject);
      owned.end();
    });
  }
}
