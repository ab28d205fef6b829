import { basename } from 'node:path';
import type { ConfigKind } from './model.js';

// Which reader a file needs, from its name and a look at its text. Content wins over the name when
// it is clear (a haproxy.cfg copied to app.conf is still HAProxy); undefined asks for --kind.

const HAPROXY_SECTION = /^[ \t]*(global|defaults|frontend|backend|listen|resolvers|peers|userlist|program|cache)\b[^\n{;]*$/m;
const NGINX_BLOCK = /^[ \t]*(http|events|stream|upstream|server|location|map)\b[^\n;]*\{/m;
const NGINX_DIRECTIVE = /^[ \t]*[a-z_][a-z0-9_]*(?:[ \t]+[^\n;{}#]+)?;[ \t]*(?:#.*)?$/m;
const EVENKEEL_POOLS = /^pools:[ \t]*(?:#.*)?$|^pools:[ \t]*\{/m;

/** evenkeel YAML (a mapping with `pools:`), NGINX, HAProxy, or undefined when unsure. */
export function detectConfigKind(file: string, text: string): ConfigKind | undefined {
  const name = basename(file).toLowerCase();
  if (EVENKEEL_POOLS.test(text)) return 'evenkeel';
  const looksNginx = NGINX_BLOCK.test(stripComments(text));
  const looksHaproxy = HAPROXY_SECTION.test(stripComments(text));
  if (looksNginx && !looksHaproxy) return 'nginx';
  if (looksHaproxy && !looksNginx) return 'haproxy';
  if (name === 'nginx.conf' || name.includes('nginx')) return 'nginx';
  if (name === 'haproxy.cfg' || name.includes('haproxy')) return 'haproxy';
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return /^pools:/m.test(text) ? 'evenkeel' : undefined;
  if (name.endsWith('.cfg')) return 'haproxy';
  if (name.endsWith('.conf') && NGINX_DIRECTIVE.test(stripComments(text))) return 'nginx';
  return undefined;
}

function stripComments(text: string): string {
  return text.replace(/#[^\n]*/g, '');
}
