import pino, { type Logger } from 'pino';

/** The node's operational log: JSON lines on standard error (standard output carries the access log). */
export function createNodeLogger(level: string = process.env.EVENKEEL_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'evenkeel', level, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}

export type { Logger };
