import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// Static files for nginx: index.html plus content-hashed assets under /assets/ (cached for a year;
// index.html itself is revalidated, see nginx/logpipe.conf.template).
export default defineConfig({
  root,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  // `nx run console:serve` during development: the API of a running stack (npm run stack) on the same origin.
  server: {
    port: 4200,
    proxy: { '/api': process.env['LOGPIPE_API'] ?? 'http://127.0.0.1:8088' },
  },
});
