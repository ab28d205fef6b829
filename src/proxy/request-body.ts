import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';

// The request body as undici reads it. Handing undici the IncomingMessage itself would let undici
// destroy it on an upstream error, and destroying an unfinished IncomingMessage destroys the client
// socket, so the client would see a reset instead of our 502 or 413. This thin Readable sits in
// between: undici may destroy it freely, backpressure still reaches the client socket (the
// IncomingMessage is paused whenever this buffer is full), and it tells whether undici has read
// anything yet, which decides whether a failed request may be retried.

/** Callbacks of the exchange that owns the body. */
export interface RequestBodyOwner {
  /** Counts a chunk; returns false when the chunk must not be forwarded (too large, exchange over). */
  onBodyChunk(byteLength: number): boolean;
  onBodyEnd(): void;
}

const kOwner = Symbol('evenkeel.bodyOwner');
const kBody = Symbol('evenkeel.body');
type OwnedRequest = IncomingMessage & { [kBody]?: RequestBody };

export class RequestBody extends Readable {
  readonly [kOwner]: RequestBodyOwner;
  private readonly source: OwnedRequest;

  constructor(source: IncomingMessage, owner: RequestBodyOwner) {
    super({ highWaterMark: 64 * 1024 });
    this[kOwner] = owner;
    this.source = source as OwnedRequest;
    this.source[kBody] = this;
    source.on('data', onSourceData);
    source.on('end', onSourceEnd);
  }

  /** True while the body can still be sent from its first byte (a retry may reuse it). */
  get isPristine(): boolean {
    return !this.destroyed && !this.readableDidRead;
  }

  override _read(): void {
    this.source.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.source.removeListener('data', onSourceData);
    this.source.removeListener('end', onSourceEnd);
    callback(error);
  }
}

function onSourceData(this: OwnedRequest, chunk: Buffer): void {
  const body = this[kBody] as RequestBody;
  if (!body[kOwner].onBodyChunk(chunk.length)) return;
  if (!body.destroyed && !body.push(chunk)) this.pause();
}

function onSourceEnd(this: OwnedRequest): void {
  const body = this[kBody] as RequestBody;
  body[kOwner].onBodyEnd();
  if (!body.destroyed) body.push(null);
}
