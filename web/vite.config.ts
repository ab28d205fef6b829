import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The operator dashboard, built into static files that the admin listener serves at /dashboard/
// (src/admin/dashboard-route.ts); the source is web/, where ARCHITECTURE.md puts the dashboard. Everything is bundled: the page loads nothing from the internet.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  plugins: [preact()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
});
