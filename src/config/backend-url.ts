import { z } from 'zod';

const EXAMPLE = 'such as "http://10.0.0.11:8000"';

/**
 * Why `text` is not a usable backend URL, or undefined when it is.
 *
 * A backend is an origin: scheme, host and optional port. Paths are rejected rather than used as a
 * prefix, because a prefix silently rewrites every request path; credentials and queries are
 * rejected because they would be sent on every request and end up in logs.
 */
export function describeBackendUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected a URL ${EXAMPLE}, got ${JSON.stringify(text)}, which is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `expected an http:// or https:// URL ${EXAMPLE}, got ${JSON.stringify(text)}`;
  if (url.hostname === '') return `expected a URL with a host ${EXAMPLE}, got ${JSON.stringify(text)}`;
  if (url.username !== '' || url.password !== '') return `expected a URL without credentials ${EXAMPLE}, got one with user:password@`;
  if (url.pathname !== '/' && url.pathname !== '') return `expected a URL without a path ${EXAMPLE}, got path ${JSON.stringify(url.pathname)}; evenkeel forwards the request path unchanged`;
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) return `expected a URL without a query or fragment ${EXAMPLE}, got ${JSON.stringify(text)}`;
  return undefined;
}

/** A backend URL field: an http(s) origin, checked where it is written. */
export function backendUrl() {
  return z
    .string({ error: `expected a URL ${EXAMPLE}` })
    .regex(/^https?:\/\//i, { abort: true, error: (issue) => `expected an http:// or https:// URL ${EXAMPLE}, got ${JSON.stringify(issue.input)}` })
    .superRefine((text, ctx) => {
      const problem = describeBackendUrlProblem(text);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: text });
    });
}
