import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { poolConfig, rawExchange, startBackend, startProxy, type Backend, type RunningProxy } from '../proxy/fixture.js';

let backend: Backend;
let proxy: RunningProxy;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    req.resume();
    req.on('end', () => res.end('reached'));
  });
  proxy = await startProxy(poolConfig([backend.url]));
});

afterAll(async () => {
  await proxy.close();
  await backend.close();
});

const attempts: [string, string][] = [
  ['both Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['Transfer-Encoding before Content-Length', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 40\r\n\r\n0\r\n\r\n'],
  ['two different Content-Length headers', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde'],
  ['two equal Content-Length headers', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd'],
  ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n'],
  ['a space inside a header name', 'GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n'],
  ['whitespace before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 4\r\n\r\nabcd'],
  ['an obfuscated Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'],
  ['a bare LF line ending inside chunked framing', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\nabcd\r\n0\r\n\r\n'],
  ['no Host header', 'GET / HTTP/1.1\r\n\r\n'],
];

describe('request smuggling and malformed requests', () => {
  it.each(attempts)('answers 400 EK_BAD_REQUEST to %s and never reaches a backend', async (_name, text) => {
    const before = backend.hits.length;
    const answer = await rawExchange(proxy.port, text);
    expect(answer).toMatch(/^HTTP\/1.1 400 /);
    expect(answer.toLowerCase()).toContain('x-evenkeel-error: ek_bad_request');
    expect(answer).not.toContain('reached');
    expect(backend.hits.length).toBe(before);
  });

  it('answers 431 to request headers over the limit without reaching a backend', async () => {
    const before = backend.hits.length;
    const answer = await rawExchange(proxy.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1.1 431 /);
    expect(answer).toContain('x-evenkeel-error: EK_HEADERS_TOO_LARGE');
    expect(backend.hits.length).toBe(before);
  });

  it('still forwards a well-formed request on the same listener', async () => {
    const answer = await rawExchange(proxy.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd');
    expect(answer).toMatch(/^HTTP\/1.1 200 /);
    expect(answer).toContain('reached');
  });
});
