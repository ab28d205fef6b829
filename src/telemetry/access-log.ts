import pino, { type DestinationStream, type Logger } from 'pino';
import type { AccessLog, AccessLogEntry } from './sink.js';

export interface AccessLogOptions {
  /** A stream, or a file descriptor; standard output (fd 1) by default. */
  destination?: DestinationStream | number;
}

/** An access log that can be flushed (on shutdown, so the last lines are not lost). */
export interface FlushableAccessLog extends AccessLog {
  flush(): void;
}

/**
 * The structured access log: one JSON object per line with the fields of AccessLogEntry plus `time`
 * (ISO 8601). Off unless the node creates it (`proxy.access_log: true` or `--access-log`). Writes go
 * through pino's asynchronous SonicBoom destination so a slow terminal does not stall the proxy.
 */
export function createAccessLog(options: AccessLogOptions = {}): FlushableAccessLog {
  const target = options.destination ?? 1;
  const destination = typeof target === 'number' ? pino.destination({ fd: target, sync: false }) : target;
  const logger = pino(
    {
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      // An access line is not a log event with a severity; leave the level out.
      formatters: { level: () => ({}) },
    },
    destination,
  );
  return new PinoAccessLog(logger);
}

class PinoAccessLog implements FlushableAccessLog {
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger;
  }

  write(entry: AccessLogEntry): void {
    this.logger.info(entry);
  }

  flush(): void {
    this.logger.flush();
  }
}
