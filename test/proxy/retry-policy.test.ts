import { describe, expect, it } from 'vitest';
import { classifyUpstreamError, IDEMPOTENT_METHODS, isRetryableFailure } from '../../src/proxy/retry-policy.js';
import { ProxyError } from '../../src/proxy/index.js';

function undiciError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('retry policy', () => {
  it('treats every failure before the connection was made as a connect failure', () => {
    expect(classifyUpstreamError(undiciError('ECONNREFUSED'), false)).toBe('EK_UPSTREAM_CONNECT_FAILED');
    expect(classifyUpstreamError(undiciError('EHOSTUNREACH'), false)).toBe('EK_UPSTREAM_CONNECT_FAILED');
    expect(classifyUpstreamError(undiciError('UND_ERR_CONNECT_TIMEOUT'), false)).toBe('EK_UPSTREAM_CONNECT_TIMEOUT');
  });

  it('tells resets, header timeouts and idle timeouts apart once connected', () => {
    expect(classifyUpstreamError(undiciError('ECONNRESET'), true)).toBe('EK_UPSTREAM_RESET');
    expect(classifyUpstreamError(undiciError('UND_ERR_SOCKET'), true)).toBe('EK_UPSTREAM_RESET');
    expect(classifyUpstreamError(undiciError('UND_ERR_HEADERS_TIMEOUT'), true)).toBe('EK_UPSTREAM_TIMEOUT');
    expect(classifyUpstreamError(undiciError('UND_ERR_BODY_TIMEOUT'), true)).toBe('EK_UPSTREAM_IDLE_TIMEOUT');
  });

  it('keeps the code of an abort the proxy made itself and blames the client for requests undici refuses', () => {
    expect(classifyUpstreamError(new ProxyError('EK_REQUEST_TIMEOUT'), true)).toBe('EK_REQUEST_TIMEOUT');
    expect(classifyUpstreamError(undiciError('UND_ERR_INVALID_ARG'), false)).toBe('EK_BAD_REQUEST');
  });

  it('retries only failures the backend cannot have acted on, and only idempotent methods', () => {
    expect(['EK_UPSTREAM_CONNECT_FAILED', 'EK_UPSTREAM_CONNECT_TIMEOUT', 'EK_UPSTREAM_RESET'].every((c) => isRetryableFailure(c as never))).toBe(true);
    expect(isRetryableFailure('EK_UPSTREAM_TIMEOUT')).toBe(false);
    expect(isRetryableFailure('EK_UPSTREAM_IDLE_TIMEOUT')).toBe(false);
    expect([...IDEMPOTENT_METHODS].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'TRACE']);
    expect(IDEMPOTENT_METHODS.has('POST')).toBe(false);
    expect(IDEMPOTENT_METHODS.has('PATCH')).toBe(false);
  });
});
