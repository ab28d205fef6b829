import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { packageRoot } from '../package-root.js';

// The operator dashboard (docs/dashboard.md): static files built by `npm run build` (Vite, from
// web/) into dist/dashboard, served here without a token. The files hold no data; every API
// call the page makes carries the token the user signs in with. The routes are declared by hand
// (the plugin only decorates reply.sendFile) so that each one says who may call it, like every
// other admin route.

export const DASHBOARD_DIR = resolve(packageRoot(), 'dist/dashboard');

const open = { access: 'public' } as const;
const hidden = { hide: true } as const;
// The page loads only its own files and talks only to this listener; nothing comes from the internet.
const CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export function registerDashboardRoutes(app: FastifyInstance, options: { dir?: string } = {}): void {
  const dir = options.dir ?? DASHBOARD_DIR;
  void app.register(fastifyStatic, { root: dir, serve: false, decorateReply: true });

  const isBuilt = () => existsSync(resolve(dir, 'index.html'));
  const notBuilt = (reply: FastifyReply) =>
    reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send(`The dashboard is not built on this node: ${dir}/index.html is missing. Run \`npm run build\` (it builds the dashboard with Vite) and reload this page.\n`);
  const sendIndex = (reply: FastifyReply) => {
    if (!isBuilt()) return notBuilt(reply);
    return reply.header('cache-control', 'no-cache').header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-content-type-options', 'nosniff').sendFile('index.html');
  };

  app.get('/', { config: open, schema: hidden }, async (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard', { config: open, schema: hidden }, async (_request, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/', { config: open, schema: hidden }, async (_request, reply) => sendIndex(reply));
  app.get<{ Params: { '*': string } }>('/dashboard/*', { config: open, schema: hidden }, async (request, reply) => {
    if (!isBuilt()) return notBuilt(reply);
    const file = request.params['*'];
    if (file === '' || file === 'index.html') return sendIndex(reply);
    // Vite names the bundles after their content hash, so they never change under the same name.
    const cacheControl = file.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return reply.header('cache-control', cacheControl).header('x-content-type-options', 'nosniff').sendFile(file, { cacheControl: false });
  });
}
