import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LiveStats } from './stats-view.js';

// Server-sent events for the dashboard and `curl -N`: one `data: <stats JSON>` a second. Written on
// reply.raw by hand (the protocol is three lines; a plugin would add a dependency for nothing). Every
// open stream is tracked so that closing the admin server ends them at once: otherwise an open
// dashboard would hold the listener open and SIGTERM would wait for it.

export const STATS_STREAM_INTERVAL_MS = 1000;

export class StatsStreams {
  private readonly open = new Set<() => void>();

  /**
   * Streams `sample()` every second until the client goes away, closeAll() is called, or
   * `isAuthorized()` (checked before each sample) turns false: a token revoked mid-stream ends it.
   */
  serve(request: FastifyRequest, reply: FastifyReply, sample: () => LiveStats, isAuthorized: () => Promise<boolean>, intervalMs = STATS_STREAM_INTERVAL_MS): void {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = () => {
      raw.write(`data: ${JSON.stringify(sample())}\n\n`);
    };
    const tick = () => {
      isAuthorized().then(
        (isStillAuthorized) => {
          if (!this.open.has(end)) return;
          if (isStillAuthorized) send();
          else end();
        },
        () => end(),
      );
    };
    const timer = setInterval(tick, intervalMs);
    const end = () => {
      clearInterval(timer);
      this.open.delete(end);
      if (!raw.writableEnded) raw.end();
    };
    this.open.add(end);
    request.raw.socket.once('close', end);
    raw.once('close', end);
    // Retry after 2 s when the connection drops (EventSource's default is 3 s); then the first sample at once.
    raw.write('retry: 2000\n\n');
    send();
  }

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const end of [...this.open]) end();
  }
}
