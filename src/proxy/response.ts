import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, PROXY_ERRORS, type ProxyErrorCode } from './errors.js';

/**
 * Answers a request with the proxy's own error. `mustClose` asks the client to reconnect, for
 * requests whose body was not read (otherwise Node would read and discard all of it first).
 */
export function sendError(res: ServerResponse, code: ProxyErrorCode, mustClose: boolean): void {
  const body = errorBody(code);
  const headers = mustClose
    ? ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length), 'x-evenkeel-error', code, 'connection', 'close']
    : ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length), 'x-evenkeel-error', code];
  res.writeHead(PROXY_ERRORS[code].statusCode, headers);
  res.end(body);
}

/** How long the proxy keeps reading (and dropping) a request body it has already answered. */
const LINGER_MS = 5_000;
const kDraining = Symbol('evenkeel.draining');

/**
 * Reads and drops the rest of a request body after answering early (413, 502, ...). Closing a
 * socket with unread input makes the kernel send a reset, and a client still uploading could lose
 * our answer with it; draining lets Node keep the connection and the client read the answer. The
 * drain is bounded in time (NGINX's lingering_time) so a client cannot hold the socket forever.
 */
export function drainRequest(req: IncomingMessage): void {
  const draining = req as IncomingMessage & { [kDraining]?: boolean };
  if (req.complete || req.destroyed || draining[kDraining] === true) return;
  draining[kDraining] = true;
  req.resume();
  const timer = setTimeout(destroySocket, LINGER_MS, req.socket);
  timer.unref();
  req.once('end', () => clearTimeout(timer));
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}
